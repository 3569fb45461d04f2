// stringify(value): JSON.stringify, and where the browser's own gives up on
// a deep value (V8 throws RangeError past a few thousand levels; a page's DOM
// can be that deep), the same text built with a stack.
//
// A page may give every array a toJSON (Prototype.js, still shipped by old
// stores, makes an array a JSON string): JSON.stringify would call it, and the
// batch would say `"adds":"[...]"`. While we write, it is set aside.
export function stringify(value) {
  const A = Array.prototype
  const d = Object.getOwnPropertyDescriptor(A, 'toJSON')
  try {
    if (d) delete A.toJSON
    try {
      return JSON.stringify(value)
    } catch (e) {
      if (!(e instanceof RangeError)) throw e
    }
    return deep(value)
  } finally {
    if (d) Object.defineProperty(A, 'toJSON', d)
  }
}

const skipped = (v) => v === undefined || typeof v === 'function' || typeof v === 'symbol'

function deep(root) {
  const out = []
  const stack = []
  const replaced = (k, v) => (v && typeof v.toJSON === 'function' ? v.toJSON(k) : v)
  const put = (v) => {
    if (v !== null && typeof v === 'object') {
      const arr = Array.isArray(v)
      out.push(arr ? '[' : '{')
      stack.push({ v, arr, keys: arr ? null : Object.keys(v), i: 0, n: 0 })
    } else if (typeof v === 'number') out.push(isFinite(v) ? String(v) : 'null')
    else out.push(skipped(v) ? 'null' : JSON.stringify(v))
  }
  put(replaced('', root))
  while (stack.length) {
    const f = stack[stack.length - 1]
    if (f.i >= (f.arr ? f.v.length : f.keys.length)) {
      out.push(f.arr ? ']' : '}')
      stack.pop()
    } else if (f.arr) {
      if (f.n++) out.push(',')
      const i = f.i++
      put(replaced(String(i), f.v[i]))
    } else {
      const k = f.keys[f.i++]
      const v = replaced(k, f.v[k])
      if (skipped(v)) continue
      out.push((f.n++ ? ',' : '') + JSON.stringify(k) + ':')
      put(v)
    }
  }
  return out.join('')
}
