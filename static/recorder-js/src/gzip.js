// Gzip without waiting. A page that is closing has no time for the
// asynchronous CompressionStream, so the parts of a batch that were not
// compressed beforehand (the events since the last piece; a batch nothing
// compressed) are compressed here, on the page's thread, by the small
// compressor below; the body is then a series of gzip members (RFC 1952
// allows that; the server reads them all as one text).
import { B } from './clean.js'
import { gzip } from './batching.js'
import { bare } from './json.js'
import { WORKER } from './worker-src.js'

const CRC = []
for (let n = 0; n < 256; n++) {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  CRC[n] = c
}

// Deflate (RFC 1951) in one block of the fixed Huffman codes, with greedy
// matches found through a table of the last place each 3 bytes were seen:
// about 4x on a batch's JSON (zlib's 7x), in a millisecond or two for the
// 8 KB or so a closing page has outside compressed pieces (more where the
// worker had not answered for the newest pieces yet).
// [base, extra bits] of each length code (257 on), then of each distance code.
const codes = (n, base, extra) => B.from({ length: n }, (_, i) => [(base += i && 1 << extra(i - 1)), extra(i)])
const LENS = codes(28, 3, (i) => (i < 8 ? 0 : (i - 4) >> 2)).concat([[258, 0]])
const DISTS = codes(30, 1, (i) => (i < 4 ? 0 : (i - 2) >> 1))

// One gzip member holding `text`.
export function gzipNow(text) {
  const data = new B.TextEncoder().encode(text)
  const out = new Uint8Array(data.length * 1.2 + 30)
  const last = new Int32Array(32768) // 3 bytes' hash -> where they were last seen, plus 1
  let o = 0
  let acc = 0
  let n = 0
  // `k` bits of `v`, the first bit most significant when a Huffman code's (huff).
  const bits = (v, k, huff) => {
    for (let i = 0; i < k; i++) {
      acc |= (huff ? (v >> (k - 1 - i)) & 1 : (v >> i) & 1) << n++
      if (n === 8) (out[o++] = acc), (acc = n = 0)
    }
  }
  const sym = (s) => (s < 144 ? bits(48 + s, 8, 1) : s < 256 ? bits(256 + s, 9, 1) : s < 280 ? bits(s - 256, 7, 1) : bits(s - 88, 8, 1))
  // The code of a length or distance, then its extra bits.
  const code = (table, v, put) => {
    let i = table.length - 1
    while (table[i][0] > v) i--
    put(i)
    bits(v - table[i][0], table[i][1])
  }
  const hash = (i) => ((data[i] << 10) ^ (data[i + 1] << 5) ^ data[i + 2]) & 32767
  for (const b of [31, 139, 8, 0, 0, 0, 0, 0, 0, 255]) bits(b, 8) // gzip's header
  bits(3, 3) // the final block, fixed codes
  for (let i = 0; i < data.length; ) {
    let len = 0
    let j = 0
    if (i + 2 < data.length) {
      const h = hash(i)
      j = last[h] - 1
      last[h] = i + 1
      if (j >= 0 && i - j < 32768) while (len < 258 && data[j + len] === data[i + len]) len++
    }
    if (len < 3) {
      sym(data[i++])
      continue
    }
    code(LENS, len, (c) => sym(257 + c))
    code(DISTS, i - j, (c) => bits(c, 5, 1))
    for (const end = i + len; ++i < end; ) if (i + 2 < data.length) last[hash(i)] = i + 1
  }
  sym(256)
  bits(0, (8 - n) % 8) // to a whole byte
  let crc = -1
  for (const b of data) crc = CRC[(crc ^ b) & 255] ^ (crc >>> 8)
  bits(~crc, 32)
  bits(data.length, 32)
  return out.subarray(0, o)
}

// The worker's encodings of these pieces of a batch (a list as the worker takes it, worker.js), written
// on the page's thread by a copy of its code: what a closing page's worker had not taken, or not
// answered for yet, goes in the same encodings as the rest (the first piece's steps start afresh).
// (On the page's thread, the page's Array.prototype.toJSON is set aside as when events are written: json.js.)
export function encodeNow(list) {
  const g = { JSON: B.JSON } // (the worker's code writes with the browser's JSON: clean.js)
  WORKER(g)
  return bare(() => g.join(list, 1))
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
    const url = win.URL.createObjectURL(new win.Blob([`(${WORKER})(self)`], { type: 'text/javascript' }))
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
