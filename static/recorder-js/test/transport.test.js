// Batching, delivery and the gzip worker: each batch stands alone, whatever
// the worker encodes in it.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { gunzipSync, gzipSync } from 'node:zlib'
import { B } from '../src/clean.js'
import { batchStart, eventJson, stepText } from '../src/encode.js'
import { createTransport } from '../src/transport.js'
import { createWorker } from '../src/worker.js'

// The bytes of a request's body (a Blob, whose type gives the request its Content-Type).
const bodyBytes = async (init) => Buffer.from(await init.body.arrayBuffer())

// A transport of 300-byte batches that posts JSON (no CompressionStream) into `bodies`; the flush interval
// is 1e6 ms, so only what the test does (or a full batch) sends anything. formed.n: batches formed so far.
function posting(bodies, formed = { n: 0 }) {
  return createTransport({
    win: { Blob },
    cfg: { wid: 1, batchBytes: 300, batchZipBytes: 1e9, capBytes: 1e6, persistBytes: 1e6, flushMs: 1e6, minSessionSec: 0, endpoint: '/i' },
    store: { get: () => null, set: () => true, del: () => {} },
    vid: 'v',
    session: () => ({ sid: 's', start: 0 }),
    reserve: () => ({ sid: 's', seq: formed.n++ }),
    fetch: async (url, init) => (bodies.push(JSON.parse(await bodyBytes(init))), { status: 202, body: null }),
    onGap: () => {},
    onForbidden: () => {},
  })
}

// A transport of large batches (1 MB unless `o.batchBytes`) in window `o.win`, each batch its own seq,
// whose flush interval (1e6 ms) never fires: only what the test does sends anything.
function transport(o) {
  let seq = 0
  return createTransport({
    cfg: { wid: 1, batchBytes: o.batchBytes || 1e6, batchZipBytes: o.batchZipBytes || 1e9, capBytes: 1e7, persistBytes: 1e6, flushMs: 1e6, minSessionSec: 0, endpoint: '/i' },
    store: { get: () => null, set: () => true, del: () => {} },
    vid: 'v',
    session: () => ({ sid: 's', start: 0 }),
    reserve: () => ({ sid: 's', seq: seq++ }),
    fetch: async () => ({ status: 202, body: null }),
    onGap: () => {},
    onForbidden: () => {},
    ...o,
  })
}

test('numbers in text step only from texts of the same batch, wherever a batch closes', async () => {
  const { win } = workerWindow({ chars: 0 })
  const bodies = []
  let seq = 0
  const t = transport({ win, batchBytes: 300, reserve: () => ({ sid: 's', seq: seq++ }), fetch: async (url, init) => (bodies.push(JSON.parse(gunzipSync(await bodyBytes(init)))), { status: 202, body: null }) })
  const price = (value) => JSON.stringify({ type: 3, data: { source: 0, texts: [{ id: 5, value }], attributes: [], removes: [], adds: [] }, timestamp: 1 })
  for (let cents = 100; cents < 130; cents++) {
    t.add(price(`${(cents / 100).toFixed(2)} EUR`))
    await new Promise((r) => setTimeout(r, 1)) // the worker takes each piece as it is sealed
  }
  t.flush()
  t.claim() // sends the formed batches, one after another
  for (let i = 0; i < 200 && bodies.length < seq; i++) await new Promise((r) => setTimeout(r, 5))
  t.stop()
  assert.ok(bodies.length > 2, `${bodies.length} batches`)
  let cents = 100
  for (const body of bodies) {
    const [first, ...rest] = body.events
    assert.deepEqual(first.data.texts, [{ id: 5, value: `${(cents / 100).toFixed(2)} EUR` }], `batch ${body.seq} starts whole`)
    assert.equal(first.ids, 'delta', 'encoded by the worker')
    for (const e of rest) assert.deepEqual([e.data.texts, e.data.textSteps], [[], [[5], stepText([1])]])
    cents += 1 + rest.length
  }
  assert.equal(cents, 130)
})

// The page closes: its one beacon (gzip members, read as one text) holds exactly `events`.
async function closed(t, beacons, events) {
  t.unload()
  t.stop()
  assert.equal(beacons.length, 1)
  const sent = Buffer.from(await beacons[0].arrayBuffer())
  const body = JSON.parse(gunzipSync(sent).toString())
  assert.deepEqual(body.events, events.map((e) => JSON.parse(e)))
  return { sent, body }
}

test('a closing page sends its open batch nearly as small as gzip of the whole', async () => {
  const beacons = []
  const t = transport({
    win: { Blob, CompressionStream, Response }, // no Worker here: gzip on this thread
    beacon: (url, blob) => (beacons.push(blob), true),
  })
  // A table re-rendered again and again: every piece repeats the ones before it.
  const rows = Array.from({ length: 40 }, (_, i) => `{"id":${i},"attributes":{"style":"height: ${(i * 37) % 100}%;"}}`)
  const events = []
  for (let i = 0; i < 60; i++) events.push(`{"type":3,"timestamp":${i},"data":{"source":0,"attributes":[${rows.join(',')}]}}`)
  for (const e of events) {
    t.add(e)
    await new Promise((r) => setTimeout(r, 1)) // the page's tasks: gzip finishes meanwhile
  }
  await new Promise((r) => setTimeout(r, 50))
  const { sent, body } = await closed(t, beacons, events)
  const whole = gzipSync(JSON.stringify(body)).length
  assert.ok(sent.length < 2 * whole, `${sent.length} bytes sent, ${whole} for gzip of the whole`)
})

test('a closing page compresses on the spot what no piece compressed before', async () => {
  for (const win of [{ Blob, CompressionStream, Response }, { Blob }]) {
    const beacons = []
    const t = transport({ win, beacon: (url, blob) => (beacons.push(blob), true) })
    // A form's input events, a few KB in all: less than a piece, so nothing was compressed when the page closes.
    const events = Array.from({ length: 25 }, (_, i) => `{"type":3,"timestamp":${1764183000000 + i * 400},"data":{"source":5,"text":"${'*'.repeat(i)}","isChecked":false,"id":${40 + (i % 3)}}}`)
    for (const e of events) t.add(e)
    const { sent, body } = await closed(t, beacons, events)
    const json = JSON.stringify(body).length
    assert.ok(sent.length < json / 3, `${sent.length} bytes sent for ${json} of JSON`)
  }
})

test("a closing page writes what its worker had not answered for, or not taken, in the worker's encoding", async () => {
  // A board's tick: 40 prices, each a little up from the tick before (1 KB of JSON).
  const tick = (k) => {
    const texts = Array.from({ length: 40 }, (_, i) => ({ id: 100 + i, value: (50 + i + k / 100).toFixed(2) }))
    return JSON.stringify({ type: 3, data: { source: 0, texts, attributes: [], removes: [], adds: [] }, timestamp: k })
  }
  // What the worker writes of these events, the first of them starting a batch.
  const encoded = (events) => (batchStart(), events.map((e) => JSON.parse(eventJson(JSON.parse(e)))))
  for (const answered of [false, true]) {
    const posted = { chars: 0 }
    const { win } = workerWindow(posted)
    const beacons = []
    const t = transport({ win, beacon: (url, blob) => (beacons.push(blob), true) })
    const events = Array.from({ length: 20 }, (_, k) => tick(k))
    // A piece at 8 KB (7 ticks; the worker answers on a later task), then 3 more.
    for (const e of events.slice(0, 10)) t.add(e)
    for (let i = 0; answered && posted.waiting && i < 200; i++) await new Promise((r) => setTimeout(r, 5))
    for (const e of events.slice(10)) t.add(e) // taken by no piece yet
    t.unload()
    t.stop()
    const body = JSON.parse(gunzipSync(Buffer.from(await beacons[0].arrayBuffer())).toString())
    // The worker's answer goes as it came; what follows is written the same way, its steps from texts of its own.
    const want = answered ? encoded(events.slice(0, 7)).concat(encoded(events.slice(7))) : encoded(events)
    assert.deepEqual(body.events, want, answered ? 'after an answer' : 'before any answer')
    assert.equal(body.events[19].data.textSteps[1], '#' + '!'.repeat(39), 'each price one step up from the tick before')
  }
})

test('a batch that an event fills goes at once, without waiting for the next tick', async () => {
  const bodies = []
  const t = posting(bodies)
  t.add('{"type":4,"timestamp":1,"data":{}}')
  t.add(`{"type":2,"timestamp":2,"data":{"node":"${'x'.repeat(400)}"}}`) // a snapshot larger than a batch
  t.add('{"type":5,"timestamp":3,"data":{}}')
  for (let i = 0; i < 100 && bodies.length < 2; i++) await new Promise((r) => setTimeout(r, 5))
  t.stop()
  // The flush interval is 1e6 ms: only a full batch can have gone. The event before it went first, alone.
  assert.deepEqual(bodies.map((b) => b.events.map((e) => e.type)), [[4], [2]])
})

test('a batch closed by its gzip goes at once too, not at the next tick', async () => {
  // A busy page closed meanwhile could send only so much: four batches waited for the tick, and two were lost.
  const bodies = []
  const t = createTransport({
    win: { Blob },
    cfg: { wid: 1, batchBytes: 1e6, batchZipBytes: 100, capBytes: 1e6, persistBytes: 1e6, flushMs: 1e6, minSessionSec: 0, endpoint: '/i' },
    store: { get: () => null, set: () => true, del: () => {} },
    vid: 'v',
    session: () => ({ sid: 's', start: 0 }),
    reserve: (() => { let n = 0; return () => ({ sid: 's', seq: n++ }) })(),
    fetch: async (url, init) => (bodies.push(JSON.parse(await bodyBytes(init))), { status: 202, body: null }),
    onGap: () => {},
    onForbidden: () => {},
  })
  for (let i = 0; i < 3; i++) t.add(`{"type":3,"timestamp":${i},"data":{"x":"${'y'.repeat(200)}"}}`)
  for (let i = 0; i < 100 && bodies.length < 2; i++) await new Promise((r) => setTimeout(r, 5))
  t.stop()
  assert.deepEqual(bodies.map((b) => b.events.map((e) => e.timestamp)), [[0], [1]])
})

test('a CompressionStream a script adds after the recorder started changes nothing: batches go as JSON', async () => {
  // (Asking the gzip worker the recorder never made threw, and stopped the recording.)
  const bodies = []
  const win = { Blob }
  const t = transport({ win, fetch: async (url, init) => (bodies.push(JSON.parse(await bodyBytes(init))), { status: 202, body: null }) })
  win.CompressionStream = class {} // a polyfill in the app's bundle
  try {
    for (let i = 0; i < 3; i++) t.add(`{"type":3,"timestamp":${i},"data":{"x":"${'y'.repeat(20000)}"}}`)
    t.flush()
    t.claim()
    for (let i = 0; i < 100 && !bodies.length; i++) await new Promise((r) => setTimeout(r, 5))
  } finally {
    t.stop()
  }
  assert.deepEqual(bodies.map((b) => b.events.length), [3])
})

test('events taken back from a time on leave the batch, whatever replaced the newest meanwhile', async () => {
  const bodies = []
  const t = posting(bodies)
  const ev = (ts, v) => JSON.stringify({ type: 3, timestamp: ts, data: { v } })
  t.add(ev(10, 'a'), 10)
  t.add(ev(20, 'b'), 20)
  t.add(ev(30, 'c'), 30)
  t.replaceLast(ev(40, 'd'), 40) // a newer value of the same field, later
  t.dropSince(40)
  t.add(ev(50, 'e'), 50)
  t.dropSince(45) // (nothing of 45 or later but e)
  t.add(ev(60, 'f'), 60)
  t.dropSince(1000) // nothing that late: nothing goes
  t.flush()
  t.claim() // sends the formed batch
  for (let i = 0; i < 100 && !bodies.length; i++) await new Promise((r) => setTimeout(r, 5))
  t.stop()
  assert.deepEqual(bodies.map((b) => b.events.map((e) => e.data.v)), [['a', 'b', 'f']])
})

// A Worker as the page would have it, running the recorder's own worker code (src/worker.js):
// messages are copied (structured clone) and answered in later tasks. `posted` counts the
// characters of text handed to it, and the messages not answered yet (`waiting`).
function workerWindow(posted) {
  class FakeWorker {
    constructor() {
      const w = createWorker((data) => setTimeout(() => (posted.waiting--, this.onmessage({ data }))), { Blob, CompressionStream, Response })
      ;[this.handle, this.pieces] = [w.onmessage, w.pieces]
      FakeWorker.last = this
    }
    postMessage(data) {
      for (const part of data[1].flat()) if (typeof part === 'string') posted.chars += part.length
      if (data[2] === 1) posted.pieces = (posted.pieces || 0) + 1
      posted.waiting = (posted.waiting || 0) + 1
      setTimeout(() => this.handle({ data: structuredClone(data) }))
    }
    terminate() {}
  }
  const URL = { createObjectURL: () => 'blob:worker', revokeObjectURL: () => {} }
  return { win: { Blob, CompressionStream, Response, Worker: FakeWorker, URL }, FakeWorker }
}

test('a batch closes by its gzip: a busy page sends one request per flush, and each fits a closing page', async () => {
  const posted = { chars: 0 }
  const { win } = workerWindow(posted)
  const gzipped = []
  const t = transport({ win, batchBytes: 800000, batchZipBytes: 45000, fetch: async (url, init) => (gzipped.push(await bodyBytes(init)), { status: 202, body: null }) })
  const answered = async () => {
    for (let i = 0; i < 400 && posted.waiting; i++) await new Promise((r) => setTimeout(r, 5))
  }
  const change = (i, value) => `{"type":3,"timestamp":${i},"data":{"source":0,"texts":[],"attributes":[{"id":${i % 50},"attributes":{"title":"${value}"}}],"removes":[],"adds":[]}}`
  try {
    // 540 KB of JSON in 900 events that gzip shrinks fiftyfold: over the 200 KB batches of before, one batch now.
    for (let i = 0; i < 900; i++) {
      t.add(change(i, `row ${i % 50} of the board `.repeat(25)))
      await answered() // as a page's worker answers each piece long before the next is sealed
    }
    t.flush()
    t.claim()
    for (let i = 0; i < 400 && !gzipped.length; i++) await new Promise((r) => setTimeout(r, 5))
    assert.equal(gzipped.length, 1)
    assert.equal(JSON.parse(gunzipSync(gzipped[0])).events.length, 900)
    // Text gzip cannot shrink: batches close before their gzip passes what a closing page may send.
    let seed = 7 // xorshift32
    const noise = () => Array.from({ length: 200 }, () => ((seed ^= seed << 13, seed ^= seed >>> 17, seed ^= seed << 5) >>> 0) % 36).map((n) => n.toString(36)).join('')
    for (let i = 0; i < 1500; i++) {
      t.add(change(i, noise()))
      await answered()
    }
    t.flush()
    for (let i = 0; i < 10; i++) t.claim(), await new Promise((r) => setTimeout(r, 20))
    const sizes = gzipped.slice(1).map((g) => g.length)
    assert.equal(gzipped.slice(1).reduce((n, g) => n + JSON.parse(gunzipSync(g)).events.length, 0), 1500)
    assert.ok(sizes.length >= 4 && sizes.every((n) => n < 60000), `${sizes}`)
  } finally {
    t.stop()
  }
})

test('the gzip worker is handed each piece of a batch once, and forms the batch from what it holds', async () => {
  const posted = { chars: 0 }
  const { win, FakeWorker } = workerWindow(posted)
  const gzipped = []
  const t = transport({ win, batchBytes: 60000, fetch: async (url, init) => (gzipped.push(await bodyBytes(init)), { status: 202, body: null }) })
  const rows = Array.from({ length: 40 }, (_, i) => `{"id":${i},"attributes":{"style":"height: ${(i * 37) % 100}%;"}}`)
  const events = []
  for (let i = 0; i < 120; i++) events.push(`{"type":3,"timestamp":${i},"data":{"source":0,"attributes":[${rows.join(',')}]}}`)
  for (const e of events) {
    t.add(e)
    await new Promise((r) => setTimeout(r, 1))
  }
  t.flush()
  t.claim()
  for (let i = 0; i < 200 && gzipped.reduce((n, g) => n + JSON.parse(gunzipSync(g)).events.length, 0) < events.length; i++) {
    await new Promise((r) => setTimeout(r, 5))
  }
  t.stop()
  const sent = gzipped.flatMap((g) => JSON.parse(gunzipSync(g).toString()).events)
  assert.deepEqual(sent, events.map((e) => JSON.parse(e)))
  assert.ok(gzipped.length > 1, `${gzipped.length} batches`)
  // Each event's text once, and the batches' heads: not again for runs of pieces and for the formed batch.
  const json = events.reduce((n, e) => n + e.length + 1, 0)
  assert.ok(posted.chars < 1.1 * json, `${posted.chars} characters handed over for ${json} of events`)
  assert.equal(FakeWorker.last.pieces.size, 0, 'the worker forgot the pieces of the formed batches')
})

test('a busy page hands the gzip worker a piece at most once a second, a slow one every 8 KB', async () => {
  const posted = { chars: 0 }
  const { win } = workerWindow(posted)
  const gzipped = []
  const t = transport({ win, fetch: async (url, init) => (gzipped.push(await bodyBytes(init)), { status: 202, body: null }) })
  const realNow = B.now
  let now = 1764183000000
  B.now = () => now
  const events = Array.from({ length: 200 }, (_, i) => `{"type":5,"timestamp":${i},"data":{"tag":"t","payload":"${String(i).repeat(400).slice(0, 990)}"}}`)
  try {
    // About 80 KB within one second: a piece at the first 8 KB, then one per 32 KB (9 pieces before).
    for (const e of events.slice(0, 100)) t.add(e)
    assert.equal(posted.pieces, 3)
    // About 100 KB over 100 seconds: a piece every 8 KB, as before.
    for (const e of events.slice(100)) (now += 1000), t.add(e)
    assert.equal(posted.pieces, 3 + 13)
    t.flush()
    t.claim()
    for (let i = 0; i < 200 && !gzipped.length; i++) await new Promise((r) => setTimeout(r, 5))
  } finally {
    B.now = realNow
    t.stop()
  }
  assert.deepEqual(JSON.parse(gunzipSync(gzipped[0]).toString()).events, events.map((e) => JSON.parse(e)))
})

test('a piece the worker no longer holds: the batch is compressed on the main thread, whole', async () => {
  const { win, FakeWorker } = workerWindow({ chars: 0 })
  const gzipped = []
  const t = transport({ win, fetch: async (url, init) => (gzipped.push(await bodyBytes(init)), { status: 202, body: null }) })
  const events = Array.from({ length: 30 }, (_, i) => `{"type":5,"timestamp":${i},"data":{"tag":"t","payload":"${'x'.repeat(300)}"}}`)
  for (const e of events) t.add(e)
  await new Promise((r) => setTimeout(r, 20))
  FakeWorker.last.pieces.clear() // as if the worker had been told to forget them
  t.flush()
  t.claim()
  for (let i = 0; i < 100 && !gzipped.length; i++) await new Promise((r) => setTimeout(r, 5))
  t.stop()
  assert.deepEqual(JSON.parse(gunzipSync(gzipped[0]).toString()).events, events.map((e) => JSON.parse(e)))
})

test('a batch formed as the page unloads and sent when it is shown again is whole, and the worker lets its pieces go', async () => {
  const { win, FakeWorker } = workerWindow({ chars: 0 })
  const gzipped = []
  const t = transport({ win, beacon: () => false, fetch: async (url, init) => (gzipped.push(await bodyBytes(init)), { status: 202, body: null }) })
  const events = Array.from({ length: 40 }, (_, i) => `{"type":5,"timestamp":${i},"data":{"tag":"t","payload":"${'y'.repeat(300)}"}}`)
  const tick = () => new Promise((r) => setTimeout(r, 5))
  for (const e of events.slice(0, 25)) t.add(e)
  await tick()
  t.add(events[25]) // in no piece yet: sealed as the page unloads, so the worker never holds it
  t.unload() // no beacon gets through: the batch is kept
  for (const e of events.slice(26)) t.add(e) // a page shown again from the back-forward cache goes on
  t.show()
  t.flush()
  t.claim()
  for (let i = 0; i < 100 && gzipped.length < 2; i++) await tick()
  t.stop()
  const sent = gzipped.flatMap((g) => JSON.parse(gunzipSync(g).toString()).events)
  assert.deepEqual(sent, events.map((e) => JSON.parse(e)))
  assert.equal(FakeWorker.last.pieces.size, 0)
})

test("a batch claimed from an earlier page's storage goes out whole through the gzip worker", async () => {
  const { win } = workerWindow({ chars: 0 })
  const gzipped = []
  const ev = '{"type":5,"timestamp":1,"data":{"tag":"t","payload":"left over"}}'
  const saved = [{ sid: 's', vid: 'v', seq: 7, ev, n: 1, bytes: ev.length }]
  const t = transport({
    win,
    store: { get: () => saved, set: () => true, del: () => {} },
    fetch: async (url, init) => (gzipped.push(await bodyBytes(init)), { status: 202, body: null }),
  })
  t.claim()
  for (let i = 0; i < 100 && !gzipped.length; i++) await new Promise((r) => setTimeout(r, 5))
  t.stop()
  const body = JSON.parse(gunzipSync(gzipped[0]).toString())
  assert.deepEqual([body.seq, body.events], [7, [JSON.parse(ev)]])
})

test('an event too deep to encode goes plain, and the events after it are encoded again', async () => {
  const { win } = workerWindow({ chars: 0 })
  const gzipped = []
  const t = transport({ win, batchBytes: 5e6, fetch: async (url, init) => (gzipped.push(await bodyBytes(init)), { status: 202, body: null }) })
  let deep = '{"type":3,"textContent":"bottom","id":9}'
  for (let i = 0; i < 20000; i++) deep = `{"type":2,"tagName":"div","attributes":{},"childNodes":[${deep}],"id":8}`
  const change = (id, value) => `{"type":3,"data":{"source":0,"texts":[{"id":${id},"value":"${value}"}],"attributes":[],"removes":[],"adds":[]},"timestamp":1}`
  const events = [change(5, '1.00'), `{"type":2,"data":{"node":${deep},"initialOffset":{"top":0,"left":0}},"timestamp":2}`, change(5, '1.01'), change(6, '2.00'), change(6, '2.01')]
  for (const e of events) t.add(e)
  t.flush()
  t.claim()
  for (let i = 0; i < 200 && !gzipped.length; i++) await new Promise((r) => setTimeout(r, 5))
  t.stop()
  const text = gunzipSync(gzipped[0]).toString()
  const sent = JSON.parse(text).events
  assert.deepEqual(sent.map((e) => e.ids), ['delta', undefined, 'delta', 'delta', 'delta'])
  assert.ok(text.includes(deep), 'the deep snapshot whole, its ids as they were')
  // The numbers noted before it are forgotten (it might have held some): 1.01 goes whole.
  assert.deepEqual(sent[2].data.texts, [{ id: 5, value: '1.01' }])
  assert.deepEqual(sent[4].data.textSteps, [[6], stepText([1])])
})

test('a clock set back an hour neither holds a session that is old enough nor stops a retry', async () => {
  const realNow = B.now
  let now = 1764183000000
  B.now = () => now
  const bodies = []
  const statuses = [503, 202, 202]
  const t = transport({
    win: { Blob },
    cfg: { wid: 1, batchBytes: 1e6, batchZipBytes: 1e9, capBytes: 1e7, persistBytes: 1e6, flushMs: 1e6, minSessionSec: 5, endpoint: '/i' },
    session: () => ({ sid: 's', start: 1764183000000 }),
    fetch: async (url, init) => (bodies.push(JSON.parse(await bodyBytes(init))), { status: statuses.shift(), body: null }),
  })
  try {
    now += 6000 // old enough
    t.add('{"type":5,"timestamp":1,"data":{"tag":"t","payload":"first"}}')
    t.flush()
    t.claim() // sent, answered 503: a retry in 0.5-1 s
    for (let i = 0; i < 50 && !bodies.length; i++) await new Promise((r) => setTimeout(r, 5))
    now -= 3600000 // the clock is set back: its readings are now before the session started
    t.add('{"type":5,"timestamp":2,"data":{"tag":"t","payload":"second"}}')
    t.flush()
    for (let i = 0; i < 400 && bodies.length < 3; i++) await new Promise((r) => setTimeout(r, 5))
  } finally {
    B.now = realNow
    t.stop()
  }
  assert.deepEqual(bodies.map((b) => [b.seq, b.events[0].data.payload]), [[0, 'first'], [0, 'first'], [1, 'second']])
})

test('every request says the clock of the events at its sending, whether fetched or beaconed', async () => {
  const urls = []
  let clock = 1764183000000
  const t = transport({
    win: { Blob },
    cfg: { wid: 1, batchBytes: 1e6, batchZipBytes: 1e9, capBytes: 1e7, persistBytes: 1e6, flushMs: 1e6, minSessionSec: 0, endpoint: '/i?wid=1' },
    clock: () => clock,
    fetch: async (url) => (urls.push(url), { status: 202, body: null }),
    beacon: (url) => (urls.push(url), true),
  })
  try {
    t.add('{"type":5,"timestamp":1,"data":{"tag":"t","payload":"first"}}')
    t.flush()
    t.claim()
    for (let i = 0; i < 50 && !urls.length; i++) await new Promise((r) => setTimeout(r, 5))
    clock += 5000
    t.add('{"type":5,"timestamp":2,"data":{"tag":"t","payload":"second"}}')
    t.unload()
  } finally {
    t.stop()
  }
  assert.deepEqual(urls, ['/i?wid=1&t=1764183000000', '/i?wid=1&t=1764183005000'])
})

test('a retry waiting out its delay goes at once when the browser is online again', async () => {
  const bodies = []
  const t = transport({
    win: { Blob },
    fetch: async (url, init) => {
      bodies.push(JSON.parse(await bodyBytes(init)))
      if (bodies.length === 1) throw new TypeError('Failed to fetch') // offline
      return { status: 202, body: null }
    },
  })
  try {
    t.add('{"type":5,"timestamp":1,"data":{"tag":"t","payload":"first"}}')
    t.flush()
    t.claim() // sent, failed: a retry in 0.5-1 s
    for (let i = 0; i < 50 && !bodies.length; i++) await new Promise((r) => setTimeout(r, 5))
    await new Promise((r) => setTimeout(r, 5))
    t.online()
    for (let i = 0; i < 20 && bodies.length < 2; i++) await new Promise((r) => setTimeout(r, 5))
  } finally {
    t.stop()
  }
  assert.equal(bodies.length, 2, 'sent again within 100 ms, not at the retry')
})
