// Request URLs recorded by hs.net: query values become `*` (unless the site
// allows them), and credentials and fragments are always dropped, since both
// often carry tokens.

export function scrubUrl(raw, base, keepQuery) {
  let u
  try {
    u = new URL(String(raw), base)
  } catch (e) {
    return ''
  }
  u.username = u.password = u.hash = ''
  if (!keepQuery && u.search) {
    const parts = u.search.slice(1).split('&').map((p) => {
      const i = p.indexOf('=')
      return i < 0 ? (p ? '*' : p) : p.slice(0, i) + '=*'
    })
    u.search = '?' + parts.join('&')
  }
  return u.href.slice(0, 1000)
}

export function utf8Length(s) {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    // a surrogate half counts 2, so a pair counts 4
    n += c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c < 0xe000) ? 2 : 3
  }
  return n
}

// Request body size when it is cheap to know, else -1 (FormData, streams).
export function bodySize(b) {
  if (b == null) return 0
  if (typeof b === 'string') return utf8Length(b)
  if (typeof b.byteLength === 'number') return b.byteLength
  if (typeof b.size === 'number') return b.size
  if (typeof URLSearchParams !== 'undefined' && b instanceof URLSearchParams) return utf8Length(String(b))
  return -1
}
