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

// popstate also fires for fragment navigation; call that `hash`.
export function navKind(kind, from, to) {
  return kind === 'pop' && from.split('#')[0] === to.split('#')[0] ? 'hash' : kind
}
