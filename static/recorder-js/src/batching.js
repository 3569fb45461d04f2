// Pure helpers for batching and delivery; transport.js holds the state.

import { B } from './clean.js'

// Retry delay: 1 s doubling to a 60 s cap, with jitter over the upper half so
// that many tabs coming back online do not retry in step.
export function backoffDelay(attempt, rnd, base = 1000, cap = 60000) {
  const d = Math.min(cap, base * 2 ** Math.min(Math.max(attempt, 1) - 1, 20))
  return Math.round(d / 2 + (d / 2) * rnd)
}

// Which unsent data to drop when memory passes the cap: the oldest batches
// first (never the first `keep`, which is in flight), then the open buffer.
export function planDrop(batchSizes, keep, bufferBytes, cap) {
  let total = bufferBytes + batchSizes.reduce((a, b) => a + b, 0)
  let batches = 0
  while (total > cap && keep + batches < batchSizes.length) total -= batchSizes[keep + batches++]
  return { batches, buffer: total > cap }
}

// A batch body is this, its events' JSON, then ']}'.
export function batchHead(wid, b, sent) {
  return `{"v":1,"wid":${wid},"vid":${B.JSON.stringify(b.vid)},"sid":${B.JSON.stringify(b.sid)},"seq":${b.seq},"sent":${sent},"events":[`
}

// The gzip of `text` by the browser (CompressionStream), off the page's thread
// where a worker runs it (worker.js), else on it (gzip.js).
export async function gzip(win, text) {
  const stream = new win.Blob([text]).stream().pipeThrough(new win.CompressionStream('gzip'))
  return new Uint8Array(await new win.Response(stream).arrayBuffer())
}
