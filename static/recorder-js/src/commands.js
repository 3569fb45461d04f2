// The `__insp` command queue. The page's snippet pushes commands into an array
// before we load; we take them and put an object in its place whose push()
// runs commands at once. Unknown commands are ignored.
import { B } from './clean.js'
import { cut } from './text.js'

export function installQueue(win, run) {
  const queued = Array.isArray(win.__insp) ? win.__insp.slice() : []
  const api = {
    length: 0,
    push() {
      for (let i = 0; i < arguments.length; i++) run(arguments[i])
      return (api.length += arguments.length)
    },
  }
  win.__insp = api
  return queued
}

// tagSession takes a string (a flag) or an object of string-able values.
export function normalizeTags(arg) {
  const out = {}
  let n = 0
  const put = (k, v) => {
    if (k && n++ < 50) out[cut(k, 100)] = cut(v, 500)
  }
  if (typeof arg === 'string') put(arg, 'true')
  else if (arg && typeof arg === 'object' && !Array.isArray(arg)) {
    for (const k of B.keys(arg)) {
      const v = arg[k]
      if (v != null && typeof v !== 'object' && typeof v !== 'function') put(k, v)
    }
  }
  return n ? out : null
}

// virtualPage takes nothing, a url string (and a title), or {url, title}.
export function virtualPageArgs(a, b, loc, doc) {
  const o = a && typeof a === 'object' ? a : { url: a, title: b }
  let url = loc.href
  try {
    if (typeof o.url === 'string' && o.url) url = String(new URL(o.url, url))
  } catch (e) {} // a bad URL: keep the current one
  return { url, title: typeof o.title === 'string' ? o.title : doc.title }
}
