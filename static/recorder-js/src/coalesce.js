// How long rrweb's buffer of DOM changes stays frozen after a diff of `bytes`
// (JSON) went out, `sinceTouch` ms after the visitor last pressed, released,
// typed or changed something (recorder.js, coalesce()); 0: not at all.
// Normally 1 ms per byte, from 1 s to 30 s: a clock still ticks every second,
// while a page that changes hundreds of values a second is sampled every 10 to
// 30 s, at about 1 KB of JSON (under 100 bytes gzipped) a second. The page's answer to the visitor must
// replay on time: changes flow freely for 100 ms after a touch, and until a
// second after it they wait a quarter of the normal time, 250 ms to 1 s.
export function freezeMs(bytes, sinceTouch) {
  if (sinceTouch < 100) return 0
  if (sinceTouch < 1000) return Math.min(1000, Math.max(250, bytes / 4))
  return Math.min(30000, Math.max(1000, bytes))
}
