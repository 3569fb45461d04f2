// The browser's own built-ins, for the recorder's own work, where the page replaced or wrapped them before
// the snippet ran: an old Prototype.js's JSON.stringify (the batch's JSON refused by the ingest) and
// Array.from (a map function ignored: a select's choice, the gzip tables), a fetch or sendBeacon wrapped
// by zone.js or a monitoring tool (our uploads recorded as the page's requests, or dropped by a wrapper
// that keeps only its own origin's), a Date.now stopped at one moment. The page's own code keeps its
// versions. Taken once when the bundle loads: the page's where each is the browser's, else all from a
// same-origin frame added for a moment (zone.js's wrappers say they are native code: its Zone tells).
// The page's Date.now stays where it reads within a minute of the browser's clock: a clock synced with
// the page's server, or a test's fake clock that runs on (rrweb's events and ours then keep the page's
// time, which the page's own timers follow too). Timers (setTimeout) stay the page's: a wrapper costs
// the page time, never our data. (Blob, CompressionStream, Worker and URL.createObjectURL stay the page's
// as well: those of a removed frame do not work; Promise is the language's, as our async functions use.)
const NATIVE = /\{\s*\[native code\]\s*\}$/

const pick = (w) => ({
  JSON: { stringify: w.JSON.stringify, parse: w.JSON.parse },
  now: w.Date.now,
  from: w.Array.from,
  keys: w.Object.keys,
  assign: w.Object.assign,
  fetch: w.fetch,
  beacon: w.Navigator?.prototype.sendBeacon,
  TextEncoder: w.TextEncoder,
})

export function builtIns(win) {
  let b = pick(win)
  try {
    const all = [b.JSON.stringify, b.JSON.parse, b.now, b.from, b.keys, b.assign, b.fetch, b.beacon, b.TextEncoder]
    if (win.Zone || !all.every((f) => !f || NATIVE.test(Function.prototype.toString.call(f)))) {
      const doc = win.document
      const frame = doc.createElement('iframe')
      ;(doc.body || doc.documentElement).appendChild(frame)
      b = pick(frame.contentWindow)
      frame.remove()
    }
  } catch (e) {}
  const now = win.Date.now
  try {
    if (Math.abs(now() - b.now()) < 60000) b.now = now
  } catch (e) {}
  // (fetch is called as the page's window's: a removed frame's own requests never go.)
  return { ...b, fetch: b.fetch?.bind(win) }
}

export const B = /* @__PURE__ */ builtIns(globalThis)
