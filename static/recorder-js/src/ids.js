// Identifiers and stable sampling. `crypto` is passed in so that node tests
// and old browsers (no crypto.randomUUID outside secure contexts) both work.
import { B } from './clean.js'

export function uuid4(crypto) {
  if (crypto?.randomUUID) return crypto.randomUUID()
  const b = new Uint8Array(16)
  if (crypto?.getRandomValues) crypto.getRandomValues(b)
  else for (let i = 0; i < 16; i++) b[i] = (Math.random() * 256) | 0
  b[6] = (b[6] & 0x0f) | 0x40
  b[8] = (b[8] & 0x3f) | 0x80
  const h = B.from(b, (x) => (x + 256).toString(16).slice(1)).join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

// Visitor id: 32 random hex characters (protocol: 8-64 of [A-Za-z0-9_-]).
export const randomId = (crypto) => uuid4(crypto).replace(/-/g, '')

// 32-bit FNV-1a over UTF-16 code units; the server computes the same.
export function fnv1a32(s) {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}

export function isSampled(vid, sampleRate) {
  return fnv1a32(vid) % 10000 < sampleRate * 100
}
