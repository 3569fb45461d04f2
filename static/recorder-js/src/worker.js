// The gzip worker (gzip.js starts it from a Blob URL of the text of one
// function, src/worker-src.js, which build.mjs makes of src/worker-main.js
// bundled). It compresses each piece of
// the open batch as it is sealed, keeps it, and forms runs of pieces and whole
// batches from what it holds. It also writes full snapshots and DOM changes in
// the wire encodings (encode.js: ids as differences, numbers in text as
// steps): the page's main thread only writes each event's plain JSON, so that
// work costs the page nothing.
import { gzip } from './batching.js'
import { batchStart, eventJson } from './encode.js'

// A full snapshot or a DOM change, as rrweb's event objects become JSON.
// Anything else (or one this misses) goes as it came: plain events are valid.
const NODE_EVENT = /^\{"type":(2,|3,"data":\{"source":0,)/

function encoded(json) {
  if (!NODE_EVENT.test(json)) return json
  try {
    return eventJson(JSON.parse(json))
  } catch (e) {
    // It goes plain. The numbers it may already have noted are forgotten, so
    // no later step refers to a text that went out otherwise.
    batchStart()
    return json
  }
}

const piece = (text, at, ...lengths) => text.slice(0, at) + lengths.map((n) => encoded(text.slice(at, (at += n + 1) - 1))).join(',')

// A message is [id, list, mode, first]. The text is the list's parts joined:
// a string as it is, a number the piece held under that id, an array a piece
// of the open batch to encode: [its text, where its first event starts, the
// length of each event] (events are joined by commas). Mode 1 keeps the text as piece
// `id` (first: the first piece of a new batch this worker is given, whose
// steps must not refer to an earlier batch's texts); mode 2 (a formed batch)
// then forgets every piece up to the last it names. The answer is [id, gzip],
// or [id, 0] when a piece named is no longer held or gzip failed: the main
// thread then compresses its own copy of the text (plain JSON, as valid).
// join(list, first) is that text (false when a piece named is not held): a closing page writes what
// its worker had not answered for with a copy of this code of its own (gzip.js, encodeNow).
export function createWorker(post, win) {
  const pieces = new Map()
  const join = (list, first) => {
    if (first) batchStart()
    const parts = list.map((p) => (p.trim ? p : p.map ? piece(...p) : pieces.get(p)))
    return !parts.includes(undefined) && parts.join('')
  }
  const onmessage = async ({ data: [n, list, mode, first] }) => {
    const text = join(list, first)
    const last = Math.max(...list.filter((p) => typeof p === 'number'))
    if (mode > 1) for (const k of pieces.keys()) k > last || pieces.delete(k)
    if (mode === 1) pieces.set(n, text)
    let gz = 0
    try {
      if (text) gz = await gzip(win, text)
    } catch (e) {}
    post([n, gz], gz ? [gz.buffer] : [])
  }
  return { onmessage, pieces, join }
}
