// How long rrweb's buffer of DOM changes stays frozen after a diff of `bytes`
// (JSON) went out, `sinceTouch` ms after the visitor last pressed, released,
// typed or changed something (recorder.js, coalesce()); 0: not at all.
// Normally 2 ms per byte, from 1 s to 60 s: a clock still ticks every
// second, while a page that changes hundreds of values a second is sampled
// every 30 to 60 s, at most about 500 bytes of JSON (some 50 gzipped) a
// second. The page's answer to the visitor must replay on time: changes flow
// freely for 50 ms after a touch, and until a second after it they wait a
// quarter of the normal time, 250 ms to 1 s.
export const ANSWER_MS = 50

export function freezeMs(bytes, sinceTouch) {
  if (sinceTouch < ANSWER_MS) return 0
  if (sinceTouch < 1000) return Math.min(1000, Math.max(250, bytes / 2))
  return Math.min(60000, Math.max(1000, 2 * bytes))
}
