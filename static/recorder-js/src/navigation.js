import { listen, patch } from './patch.js'

// SPA navigations: history.pushState / replaceState (reported only when the
// URL actually changes), back/forward (popstate) and fragment changes.
// `report(kind)` is called after location has changed; it compares URLs.
export function watchNavigation(win, report) {
  const h = win.history
  const wrap = (kind) => (orig, on) =>
    function () {
      const r = orig.apply(this, arguments)
      if (on()) report(kind)
      return r
    }
  const offs = [
    patch(h, 'pushState', wrap('push')),
    patch(h, 'replaceState', wrap('replace')),
    listen(win, 'popstate', () => report('pop')),
    listen(win, 'hashchange', () => report('hash')),
  ]
  return () => offs.forEach((f) => f())
}

// popstate also fires for fragment navigation; call that `hash`. A replaceState that changes only the
// fragment is the page saying where the reader is (a docs page's scroll-spy), no navigation: `fragment`.
export function navKind(kind, from, to) {
  if (from.split('#')[0] !== to.split('#')[0]) return kind
  return kind === 'pop' ? 'hash' : kind === 'replace' ? 'fragment' : kind
}
