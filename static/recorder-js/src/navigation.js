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
  // (undo functions, each of its own: see listen())
  return [
    patch(h, 'pushState', wrap('push')),
    patch(h, 'replaceState', wrap('replace')),
    listen(win, 'popstate', () => report('pop')),
    listen(win, 'hashchange', () => report('hash')),
  ]
}

// What a change of URL within the page is. popstate also fires for fragment navigation; call that
// `hash`. A replaceState that keeps the path is the page keeping its own state in the URL, no
// navigation: `fragment` when only the fragment changed (a docs page's scroll-spy), `state` when the
// query did (a search box's query at each keystroke, a map's position as it pans). A hash router's
// route (`#/cart?step=2`, `#!/cart`) is a path and a query of its own.
const parts = (url) => {
  const at = url.indexOf('#')
  const page = at < 0 ? url : url.slice(0, at)
  const fragment = at < 0 ? '' : url.slice(at + 1)
  const route = /^[/!]/.test(fragment) ? fragment : ''
  return { page, route, path: page.split('?')[0], routePath: route.split('?')[0] }
}
export function navKind(kind, from, to) {
  const a = parts(from)
  const b = parts(to)
  if (a.path !== b.path || a.routePath !== b.routePath) return kind
  if (a.page === b.page && a.route === b.route) return kind === 'pop' ? 'hash' : kind === 'replace' ? 'fragment' : kind
  return kind === 'replace' ? 'state' : kind
}
