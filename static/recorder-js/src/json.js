// stringify(value): JSON.stringify, and where the browser's own gives up on
// a deep value (V8 throws RangeError past a few thousand levels; a page's DOM
// can be that deep), the same text built with a stack.
//
// A page may give every array a toJSON (Prototype.js, still shipped by old
// stores, makes an array a JSON string): JSON.stringify would call it, and the
// batch would say `"adds":"[...]"`. While we write, it is set aside (bare).
export function stringify(value) {
  return bare(() => {
    try {
      return JSON.stringify(value)
    } catch (e) {
      if (!(e instanceof RangeError)) throw e
    }
    return deep(value)
  })
}

// f(), with the page's Array.prototype.toJSON set aside while it runs.
export function bare(f) {
  const A = Array.prototype
  const d = Object.getOwnPropertyDescriptor(A, 'toJSON')
  try {
    if (d) delete A.toJSON
    return f()
  } finally {
    if (d) Object.defineProperty(A, 'toJSON', d)
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
      stack.push({ v, arr, keys: arr ? null : Object.keys(v), i: 0, n: 0 })
    } else if (typeof v === 'number') out += isFinite(v) ? v : 'null'
    else out += skipped(v) ? 'null' : JSON.stringify(v)
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
      out += (f.n++ ? ',' : '') + JSON.stringify(k) + ':'
      put(v)
    }
  }
  return out
}
