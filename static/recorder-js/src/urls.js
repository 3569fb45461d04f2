// Request URLs recorded by hs.net: query values become `*` (unless the site
// allows them), and credentials and fragments are always dropped, since both
// often carry tokens.
import { cut } from './text.js'

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
  return cut(u.href, 1000)
}

// Request body size when it is cheap to know, else -1 (FormData, streams).
export function bodySize(b) {
  if (b == null) return 0
  if (typeof b === 'string' || b instanceof URLSearchParams) return new Blob([String(b)]).size
  if (typeof b.byteLength === 'number') return b.byteLength
  if (typeof b.size === 'number') return b.size
  return -1
}
