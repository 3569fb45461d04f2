// Small pure formatters shared by the controls and the panels.

/** 83500 -> "1:23", 3723000 -> "1:02:03". Negative and NaN read as 0. */
export function formatClock(ms) {
  const total = Math.max(0, Math.floor((Number(ms) || 0) / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** Seconds as a human duration: 45 -> "45 s", 3725 -> "1 h 2 min". */
export function formatDuration(seconds) {
  const s = Math.max(0, Math.round(Number(seconds) || 0));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Network durations in ms: 84 -> "84 ms", 5012 -> "5.0 s", unknown -> "". */
export function formatMs(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) return '';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** An ISO date as its date, time and offset from UTC ("2026-12-06 09:24:15 UTC"); the raw text if unparsable. */
export function formatDate(iso) {
  if (!iso) return '';
  // The API writes times in the dashboard's time zone (TIME_ZONE), with their offset: shown as written,
  // as the page's header shows them, not moved into the viewer's own zone, and saying which zone that is.
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)?$/.exec(iso);
  if (!m) return String(iso);
  const zone = !m[3] ? '' : m[3] === 'Z' || m[3] === '+00:00' ? ' UTC' : ` UTC${m[3]}`;
  return `${m[1]} ${m[2]}${zone}`;
}

/** "1280 × 720", or "" when a dimension is missing. */
export function formatSize(w, h) {
  return w > 0 && h > 0 ? `${w} × ${h}` : '';
}

/** A URL without its origin when it is on the same host as `base`, for short rows; decoded for reading. */
export function shortUrl(url, base) {
  try {
    const u = new URL(url, base || undefined);
    const b = base ? new URL(base) : null;
    // A data:, blob: or javascript: address is shown whole: without its scheme it reads as a path.
    if (!/^https?:$/.test(u.protocol)) return readableUrl(u.href);
    const rest = readableUrl(u.pathname + u.search + u.hash);
    return b && u.origin === b.origin ? rest : u.host + rest;
  } catch (e) {
    return readableUrl(String(url || ''));
  }
}

// Escapes left as they are, decoded: control characters, and the marks that reorder or hide text (a URL
// could pass for another).
const UNREADABLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]/;

/**
 * "/caf%C3%A9%20menu" -> "/café menu", for reading only (the raw URL stays in the row's title). Like the
 * browsers' address bars, escapes of characters that would change the URL's meaning (/ ? & = # …) stay,
 * and a malformed escape is shown as written.
 */
export function readableUrl(text) {
  return String(text).replace(/(%[0-9a-f]{2})+/gi, (escapes) => {
    try {
      const decoded = decodeURI(escapes);
      return UNREADABLE.test(decoded) ? escapes : decoded;
    } catch (e) {
      return escapes;
    }
  });
}

/** `source:line` for a console row; just the file name of the source. */
export function formatSource(source, line) {
  if (!source) return '';
  const file = String(source).split(/[?#]/)[0].split('/').pop() || String(source);
  return line ? `${file}:${line}` : file;
}
