// Gzip without waiting. A page that is closing has no time for the
// asynchronous CompressionStream, so the parts of a batch that were not
// compressed beforehand are wrapped in "stored" (uncompressed) gzip members,
// and the body is a series of gzip members (RFC 1952 allows that; the server
// reads them all as one text).
import { gzip } from './worker.js'
import { WORKER_SRC } from './worker-src.js'

let table
function crc32(bytes) {
  if (!table) {
    table = []
    for (let n = 0; n < 256; n++) {
      let c = n
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
      table[n] = c
    }
  }
  let c = -1
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]) & 255] ^ (c >>> 8)
  return ~c >>> 0
}

// One gzip member holding `text` as stored deflate blocks of at most 65535 bytes.
export function gzipStored(text) {
  const data = new TextEncoder().encode(text)
  const blocks = Math.max(1, Math.ceil(data.length / 65535))
  const out = new Uint8Array(10 + blocks * 5 + data.length + 8)
  const view = new DataView(out.buffer)
  out.set([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255])
  let o = 10
  for (let i = 0; i < blocks; i++) {
    const part = data.subarray(i * 65535, (i + 1) * 65535)
    out[o] = i === blocks - 1 ? 1 : 0 // BFINAL; BTYPE 00: stored
    view.setUint16(o + 1, part.length, true)
    view.setUint16(o + 3, ~part.length & 0xffff, true)
    out.set(part, o + 5)
    o += 5 + part.length
  }
  view.setUint32(o, crc32(data), true)
  view.setUint32(o + 4, data.length >>> 0, true)
  return out
}

// The same gzip in a Worker (src/worker.js), so that compressing batches,
// and writing their node events in the wire encodings, costs the page's main
// thread little more than handing each event's JSON over, once. Built from a
// Blob URL; where the page's CSP (or anything else) refuses the worker, gzip()
// on the main thread, of the events as they are (plain rrweb JSON).
export function createGzip(win) {
  let worker = null
  let n = 0
  const waiting = new Map() // id -> [text, resolve, reject]
  const local = (text) => gzip(win, text)
  const broken = () => {
    if (worker) worker.terminate()
    worker = false
    // What the worker still held is compressed here instead.
    for (const [text, ok, no] of waiting.values()) local(text).then(ok, no)
    waiting.clear()
  }
  try {
    const url = win.URL.createObjectURL(new win.Blob([WORKER_SRC], { type: 'text/javascript' }))
    worker = new win.Worker(url)
    win.URL.revokeObjectURL(url)
    worker.onmessage = (e) => {
      const w = waiting.get(e.data[0])
      if (!w) return
      waiting.delete(e.data[0])
      if (e.data[1]) w[1](e.data[1])
      else local(w[0]).then(w[1], w[2])
    }
    worker.onerror = broken
  } catch (e) {
    worker = false
  }
  // [id the worker keeps it under (0: none), promise of the gzip of `text`]. `text` is what the
  // worker joins from `list` (worker.js), in plain JSON: compressed here if the worker fails.
  const ask = (text, list, mode, first) => {
    if (!worker) return [0, local(text)]
    const id = ++n
    return [id, new Promise((ok, no) => {
      waiting.set(id, [text, ok, no])
      worker.postMessage([id, list, mode, first])
    })]
  }
  return {
    ask,
    stop() {
      if (worker) worker.terminate()
      worker = false
    },
  }
}
