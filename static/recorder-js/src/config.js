// The one options object the recorder is built from. Keys of protocol.md come
// from the loader (`__hsc`); anything missing or of the wrong type falls back
// to these defaults, which lean to the safe side for privacy.
export const DEFAULTS = {
  wid: 0,
  endpoint: '',
  sessionTimeoutMin: 30,
  maxSessionHours: 24,
  sampleRate: 100,
  include: [],
  exclude: [],
  minSessionSec: 0,
  recordConsole: false,
  recordNetwork: false,
  networkQueryAllow: false,
  urlMaskParams: [],
  consentRequired: false,
  honorDnt: true,
  maskAllInputs: true,
  maskAllText: false,
  maskSelectors: '',
  ignoreSelectors: '',
  unmaskSelectors: '',
  notice: false,
  noticeText: 'This session may be recorded to improve this site.',
  // Tuning knobs, not part of the loader config (tests shorten them).
  flushMs: 10000, // upload interval (the page hiding or closing sends at once)
  batchBytes: 800000, // JSON per batch at most (transport.js closes one sooner by its gzip); kept whole in localStorage
  batchZipBytes: 45000, // its pieces' gzip, at most: a closing page's last request may hold 64 KB
  capBytes: 8e6, // buffered + unsent data kept in memory (the largest event: half of it); the loader sends the server's
  persistBytes: 1e6, // unsent data kept in localStorage across page loads
  checkoutMs: 300000, // a new full snapshot so the player can seek
}

export function normalizeConfig(raw) {
  const cfg = {}
  raw = raw && typeof raw === 'object' ? raw : {}
  for (const k in DEFAULTS) {
    const d = DEFAULTS[k]
    const v = raw[k]
    if (Array.isArray(d)) cfg[k] = Array.isArray(v) ? v.filter((p) => typeof p === 'string' && p) : d
    else cfg[k] = typeof v === typeof d && (typeof v !== 'number' || isFinite(v)) ? v : d
  }
  return cfg
}
