// cut(s, n): at most n UTF-16 units of s, never ending inside a surrogate pair
// (half an emoji is a lone surrogate, which is not text).
export function cut(s, n) {
  s = String(s)
  if (s.length <= n) return s
  const c = s.charCodeAt(n - 1)
  return s.slice(0, c >= 0xd800 && c <= 0xdbff ? n - 1 : n)
}

// A number in a text, read as an integer in units of its last digit: what
// comes before it (no digit or sign), its sign, its digits (maybe grouped by
// commas; 15 digits at most, so that they are exact as a double) with its
// decimals, and the rest.
const NUM = /^([^0-9+-]*)([+-]?)([0-9]+(?:,[0-9]{3})*)(?:\.([0-9]+))?([\s\S]*)$/
function numRead(s) {
  const m = NUM.exec(s)
  const i = m ? m[3].replace(/,/g, '') : ''
  const f = m ? m[4] || '' : ''
  if (m && i.length + f.length <= 15) return [m, f, Number(i + f) * (m[2] === '-' ? -1 : 1)]
}

// numApply(s, k): s with its number plus k (in units of its last digit), the
// same decimals (and commas, if s had them) and around it the same text; a
// positive number keeps a sign when s had one. undefined when s holds no such
// number. The server's twin: recorder/wire.py.
export function numApply(s, k) {
  const r = numRead(s)
  return r && numWrite(r, k)
}

function numWrite([m, f, v], k) {
  const n = v + k
  if (!Number.isSafeInteger(n)) return
  const d = String(Math.abs(n)).padStart(f.length + 1, '0')
  let i = d.slice(0, d.length - f.length)
  if (m[3].includes(',')) i = i.replace(/\B(?=(\d{3})+$)/g, ',')
  return m[1] + (n < 0 ? '-' : m[2] ? '+' : '') + i + (f && '.' + d.slice(-f.length)) + m[5]
}

// numDiff(a, b): the k for which numApply(a, k) is b, or undefined.
export function numDiff(a, b) {
  const x = numRead(a)
  const y = x && numRead(b)
  const k = y && y[2] - x[2]
  if (k && numWrite(x, k) === b) return k
}
