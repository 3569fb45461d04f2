// stringify(value): JSON.stringify, and where the browser's own gives up on
// a deep value (V8 throws RangeError past a few thousand levels; a page's DOM
// can be that deep), the same text built with a stack.
//
// It is the browser's JSON.stringify, where the page replaced it (clean.js). A page may also give every
// array, or every object, a toJSON (Prototype.js, still shipped by old stores, makes an array a JSON
// string): JSON.stringify would call it, and the batch would say `"adds":"[...]"`. While we write, it
// is set aside (bare). (A string's, a number's or a boolean's toJSON is never called for the value.)
import { B } from './clean.js'

export function stringify(value) {
  return bare(() => {
    try {
      return B.JSON.stringify(value)
    } catch (e) {
      // (the browser's may be a frame's, whose RangeError is not ours)
      if (e.name !== 'RangeError') throw e
    }
    return deep(value)
  })
}

// f(), with the page's toJSON of arrays and of objects set aside while it runs.
export function bare(f) {
  const aside = []
  try {
    for (const p of [Array.prototype, Object.prototype]) {
      const d = Object.getOwnPropertyDescriptor(p, 'toJSON')
      // (one the page made unchangeable stays)
      if (d?.configurable) aside.push([p, d]) && delete p.toJSON
    }
    return f()
  } finally {
    for (const [p, d] of aside) Object.defineProperty(p, 'toJSON', d)
  }
}

const skipped = (v) => v === undefined || typeof v === 'function' || typeof v === 'symbol'

// deep(value, max): the JSON text of an object or array, as JSON.stringify writes it (a cycle throws a
// TypeError too), built with a stack. With max, only the first max characters (and a few more): the
// rest of the value is never read (console.js).
export function deep(root, max = Infinity) {
  let out = ''
  const stack = []
  const open = new Set() // the objects being written
  const replaced = (k, v) => (v && typeof v.toJSON === 'function' ? v.toJSON(k) : v)
  const put = (v) => {
    if (v !== null && typeof v === 'object') {
      if (open.has(v)) throw TypeError()
      open.add(v)
      const arr = Array.isArray(v)
      out += arr ? '[' : '{'
      stack.push({ v, arr, keys: arr ? null : B.keys(v), i: 0, n: 0 })
    } else if (typeof v === 'number') out += isFinite(v) ? v : 'null'
    else out += skipped(v) ? 'null' : B.JSON.stringify(v)
  }
  put(replaced('', root))
  while (stack.length && out.length < max) {
    const f = stack[stack.length - 1]
    if (f.i >= (f.arr ? f.v.length : f.keys.length)) {
      out += f.arr ? ']' : '}'
      open.delete(stack.pop().v)
    } else if (f.arr) {
      if (f.n++) out += ','
      const i = f.i++
      put(replaced(String(i), f.v[i]))
    } else {
      const k = f.keys[f.i++]
      const v = replaced(k, f.v[k])
      if (skipped(v)) continue
      out += (f.n++ ? ',' : '') + B.JSON.stringify(k) + ':'
      put(v)
    }
  }
  return out
}
