// URL targeting (protocol.md): `*` matches any run of characters, the rest is
// literal and the whole string must match. A pattern starting with `/` is
// matched against pathname + search, any other against the full href.

export function patternRegExp(pattern) {
  const parts = pattern.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
  return new RegExp('^' + parts.join('[\\s\\S]*') + '$')
}

export function urlMatches(pattern, loc) {
  const target = pattern[0] === '/' ? loc.pathname + loc.search : loc.href
  return patternRegExp(pattern).test(target)
}

export function pageAllowed(loc, include, exclude) {
  const hit = (p) => urlMatches(p, loc)
  return (!include.length || include.some(hit)) && !exclude.some(hit)
}
