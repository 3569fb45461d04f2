// cut(s, n): at most n UTF-16 units of s, never ending inside a surrogate pair
// (half an emoji is a lone surrogate, which is not text).
export function cut(s, n) {
  s = String(s)
  if (s.length <= n) return s
  const c = s.charCodeAt(n - 1)
  return s.slice(0, c >= 0xd800 && c <= 0xdbff ? n - 1 : n)
}
