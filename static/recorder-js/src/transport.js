import { B } from './clean.js'
import { backoffDelay, batchHead, planDrop } from './batching.js'
import { createGzip, encodeNow, gzipNow } from './gzip.js'

// Chromium lets at most 64 KB of keepalive requests (beacons included) be in
// flight; stay under it.
const KEEPALIVE_MAX = 60000
// Every body goes as a text/plain Blob, which gives the request its Content-Type: a CORS "simple"
// request (no preflight), and no headers of ours. A site's fetch wrapper that breaks on a plain
// object of headers (calls headers.get(), say) made every upload fail, and retry forever.
const TEXT = { type: 'text/plain' }
// The batch says which page it is from (its URLs cleaned by the privacy rules); a Referer header would
// repeat the page's address as the browser has it, in full where the server shares the site's origin.
const POST = { method: 'POST', credentials: 'include', referrerPolicy: 'no-referrer' }
// The open batch is compressed in pieces of about this much JSON, for the
// case that the page closes before the batch is formed. Each piece and run
// is a message to the gzip worker, whose cost on the main thread is mostly
// per message: 8 KB pieces cost the page less script time than 4 KB ones
// (BENCHMARKS.md). On a busy page a piece is sealed at most once a second, up
// to RUN_BYTES of JSON: a live board's 30-50 KB a second went out in four
// messages a second. A closing page compresses on its own thread what no
// piece holds (gzipNow: up to about 10 ms for 32 KB, where 8 KB took 3).
const PIECE_BYTES = 8000
const PIECE_MS = 1000
const RUN_BYTES = 32000
const noop = () => {}

// An unread response body keeps holding the keepalive quota: always cancel it.
function drain(res) {
  try {
    const p = res.body?.cancel()
    p?.catch?.(noop)
  } catch (e) {}
}

// Batching and delivery. Events arrive as JSON strings (plain rrweb JSON: the
// gzip worker writes the wire encodings, worker.js); a batch takes its seq
// when it is formed and keeps it, so a retried batch is idempotent on the
// server. A page that closes has no time for gzip, so compression starts
// early: the open batch is gzipped in pieces as it fills, and a formed batch
// as a whole. One request is in flight at a time, in order; network errors, 5xx
// and 429 are retried with backoff, other 4xx drop the batch (403 also stops).
// Unsent batches go to localStorage when the page hides and are claimed by
// the next page load (or this page, when it is shown again).
//
// Each request's URL carries the clock of the events at its sending (`t`), so the server can tell how
// far the visitor's clock is off its own.
//
// o: { win, cfg, store, vid, session() -> {sid, start}, reserve() -> {sid, seq},
//      fetch, beacon, onGap(dropped, bytes), onForbidden(), clock() -> ms }
export function createTransport(o) {
  const { win, cfg, store } = o
  const url = () => cfg.endpoint + (cfg.endpoint.indexOf('?') < 0 ? '?' : '&') + 't=' + (o.clock ? o.clock() : B.now())
  const key = 'pend_' + cfg.wid
  // The open batch's sealed parts: {text, m, gz, id} (text with its leading comma; m the list item the worker takes;
  // gz once made; id once the worker holds it).
  let pieces = []
  let buf = [] // the open batch's newest event JSON strings, not in a piece yet
  let bufTs = [] // their times
  let bufBytes = 0 // JSON of the whole open batch
  let looseBytes = 0 // JSON in buf
  let sealedAt = 0 // when the last piece was sealed
  let openN = 0 // events in the open batch
  let zipBytes = 0 // the open batch's pieces' gzip: a third of their JSON until the worker answers
  let queue = [] // formed batches {sid, vid, seq, ev, n, bytes}, oldest first
  let busy = null // the batch in flight, always queue[0]
  let attempt = 0
  let waiting = false // a retry's delay is running (a timer's: the clock may be set back meanwhile)
  let retryTimer = 0
  let hidden = false
  let unloaded = false
  let dead = false
  let ctl = null
  let keepaliveBytes = 0
  // Batches accepted since we last wrote a copy to storage: not to be claimed back.
  let acked = new Set()
  const bodies = new WeakMap() // batch -> promise of its body: gzip, or JSON where gzip fails
  const zipped = new WeakMap() // batch -> its gzipped body, once made
  const partsOf = new WeakMap() // batch -> the pieces it was formed from
  const zip = win.CompressionStream ? createGzip(win) : null // off the main thread where the page allows a worker

  // minSessionSec: the current session's batches wait until it is old enough (or the clock has been
  // set back past its start: its age is then unknown, and the server drops a session too short).
  const sendable = (sid) => {
    const s = o.session()
    return sid !== s.sid || Math.abs(B.now() - s.start) >= cfg.minSessionSec * 1000
  }

  // A batch closes at cfg.batchBytes of JSON, or sooner once its pieces' gzip
  // (each piece's own: more than the batch's whole gzip, about what a closing
  // page sends of it) would pass cfg.batchZipBytes, so that a closing page can
  // still send it in one keepalive request. A busy page then sends one request
  // per flush, not one per 200 KB of JSON: each request pays its headers, and
  // each batch starts its encodings afresh (a tenth of the dashboard's bytes).
  const over = (n) => bufBytes + n > cfg.batchBytes || zipBytes + (looseBytes + n) / 3 > cfg.batchZipBytes

  function add(json, ts) {
    // A full batch is closed before this event, not after it: an event must
    // not be left alone in a request of its own.
    // (and goes at once: it waited for the next tick, and a busy page that closed meanwhile had more
    // batches than a closing page may send)
    if (openN && (over(json.length + 1) || openN >= 1000)) flush(), pump()
    buf.push(json)
    bufTs.push(ts)
    bufBytes += json.length + 1
    looseBytes += json.length + 1
    openN++
    if (looseBytes >= RUN_BYTES || (looseBytes >= PIECE_BYTES && Math.abs(B.now() - sealedAt) >= PIECE_MS)) seal()
    cap()
    // A full batch goes at once, not at the next tick: a heavy page's
    // snapshot is over what a closing page may send.
    if (bufBytes > cfg.batchBytes) flush(), pump()
  }

  // The buffered events become a piece of the open batch, gzipped meanwhile.
  // For a page that closes before the batch is formed, runs of pieces are
  // gzipped together too, again each time the run has doubled, up to gzip's
  // 32 KB window (pieces.runs: {from, to, gz}); alone, pieces lose every
  // repeat between them (a dashboard's last batch came out twice its size).
  function seal(closing) {
    const all = pieces
    const lead = all.length ? ',' : ''
    const events = buf
    const p = { text: lead + events.join(',') }
    p.m = [p.text, lead.length, ...events.map((e) => e.length)]
    all.push(p)
    buf = []
    bufTs = []
    const guess = looseBytes / 3
    sealedAt = B.now()
    zipBytes += guess
    looseBytes = 0
    // (zip, not the page's CompressionStream now: one a script added after the recorder started has no
    // worker here, and asking none stopped the recording)
    if (!zip || unloaded) return
    // The worker encodes each event; a batch's first piece it is given starts its record of texts.
    const z = zip.ask(p.text, [p.m], 1, !all.sent)
    all.sent = 1
    p.id = z[0]
    z[1].then((g) => {
      p.gz = g
      if (pieces === all) zipBytes += g.length - guess
    }, noop)
    const from = all.from || 0
    const to = all.length
    const run = (all.run = (all.run || 0) + p.text.length) // JSON in the run so far
    if (closing || to - from < 2 || run < 2 * (all.asked || PIECE_BYTES)) return
    all.asked = run
    if (run >= RUN_BYTES) {
      all.from = to // the next run starts after this one
      all.run = all.asked = 0
    }
    const part = all.slice(from)
    zipOf(texts(part), part, (held) => held, 0).then((gz) => (all.runs = all.runs || []).push({ from, to, gz }), noop)
  }

  // Replace the newest buffered event (a newer value of the same field);
  // false when it has left the buffer already.
  function replaceLast(json, ts) {
    if (!buf.length) return false
    bufBytes += json.length - buf[buf.length - 1].length
    looseBytes += json.length - buf[buf.length - 1].length
    buf[buf.length - 1] = json
    bufTs[buf.length - 1] = ts
    return true
  }

  // Take back the buffered events of time `t` or later (times only grow, but for a navigation's hs.page, sent up
  // to a second after it: recorder.js, TITLE_MS); what has left the buffer stays.
  function dropSince(t) {
    let k = buf.length
    while (k && bufTs[k - 1] >= t) k--
    for (const json of buf.splice(k)) {
      bufBytes -= json.length + 1
      looseBytes -= json.length + 1
      openN--
    }
    bufTs.length = k
  }

  // Memory bound: past capBytes, drop the oldest unsent data and say so.
  function cap() {
    const sizes = queue.map((b) => b.bytes)
    if (bufBytes + sizes.reduce((a, b) => a + b, 0) <= cfg.capBytes) return
    const keep = busy ? 1 : 0
    const plan = planDrop(sizes, keep, bufBytes, cfg.capBytes)
    let dropped = 0
    let bytes = 0
    for (const b of queue.splice(keep, plan.batches)) {
      dropped += b.n
      bytes += b.bytes
    }
    if (plan.buffer) {
      dropped += openN
      bytes += bufBytes
      discardOpen()
    }
    o.onGap(dropped, bytes)
  }

  function flush() {
    if (!openN) return
    if (buf.length) seal(true)
    const parts = pieces
    const r = o.reserve()
    const ev = texts(parts)
    const b = { sid: r.sid, vid: o.vid, seq: r.seq, ev, n: openN, bytes: ev.length }
    discardOpen()
    partsOf.set(b, parts)
    queue.push(b)
    if (!unloaded) bodyOf(b)
  }

  const bodyJson = (b) => batchHead(cfg.wid, b, B.now()) + b.ev + ']}'

  // A batch's body: its gzip where the browser has CompressionStream, made by the
  // worker from the pieces it holds (a batch claimed from storage has none).
  function bodyOf(b) {
    if (!bodies.has(b)) {
      const head = batchHead(cfg.wid, b, B.now())
      const json = head + b.ev + ']}'
      const p = zip
        ? zipOf(json, partsOf.get(b) || [{ text: b.ev }], (held) => [head, ...held, ']}'], 2).then((z) => (zipped.set(b, z), z), () => json)
        : Promise.resolve(json)
      bodies.set(b, p)
    }
    return bodies.get(b)
  }

  // The pieces' texts as one (a rope: nothing is copied until it is read).
  const texts = (parts) => parts.reduce((text, p) => text + p.text, '')

  // The gzip of `text`, made of these pieces: the worker is told the ids of those it holds (`list`
  // of them: what it joins); a piece sealed while the page was unloading has none, its text goes along.
  const zipOf = (text, parts, list, mode) => zip.ask(text, list(parts.map((p) => p.id || p.text)), mode)[1]

  async function post(b) {
    const body = new win.Blob([await bodyOf(b)], TEXT)
    const size = body.size
    // keepalive only while hidden (the page may be discarded) and within quota.
    const keepalive = hidden && size < KEEPALIVE_MAX
    ctl = win.AbortController ? new win.AbortController() : null
    keepaliveBytes = keepalive ? size : 0
    try {
      const res = await o.fetch(url(), { ...POST, body, keepalive, signal: ctl?.signal })
      drain(res)
      return res.status
    } finally {
      keepaliveBytes = 0
    }
  }

  // A retry goes when its delay is over, or as soon as the browser says it is online again: the delay
  // may have grown to a minute while the network was gone.
  function retry() {
    clearTimeout(retryTimer)
    waiting = false
    pump()
  }

  async function pump() {
    try {
      if (busy || dead || unloaded || !queue.length) return
      const b = queue[0]
      if (!sendable(b.sid) || waiting) return
      busy = b
      let status = 0
      try {
        status = await post(b)
      } catch (e) {}
      busy = null
      if (queue[0] !== b) return pump() // discarded meanwhile
      if (status === 0 || status === 429 || status >= 500) {
        waiting = true
        clearTimeout(retryTimer)
        retryTimer = setTimeout(retry, backoffDelay(++attempt, Math.random()))
        return
      }
      queue.shift() // accepted, or refused for good
      acked.add(b.sid + b.seq)
      attempt = 0
      if (status === 403) return o.onForbidden()
      pump()
    } catch (e) {
      dead = true
    }
  }

  function persist(list) {
    acked = new Set()
    const have = new Set(list.map((b) => b.sid + b.seq))
    const old = (store.get(key) || []).filter((x) => x && !have.has(x.sid + x.seq))
    const all = old.concat(list.map((b) => ({ ...b, held: !sendable(b.sid) })))
    // Estimated size (JSON inside JSON escapes quotes); the oldest go first.
    const est = (x) => x.bytes * 1.2 + 100
    let size = all.reduce((a, x) => a + est(x), 0)
    while (all.length && size > cfg.persistBytes) size -= est(all.shift())
    while (all.length && !store.set(key, all)) all.shift()
    if (!all.length) store.del(key)
  }

  function claim() {
    const list = store.get(key)
    store.del(key)
    if (!Array.isArray(list)) return
    const cur = o.session().sid
    const have = new Set(queue.map((b) => b.sid + b.seq).concat(B.from(acked)))
    acked = new Set()
    const got = []
    for (const x of list) {
      if (!x || typeof x.ev !== 'string' || typeof x.sid !== 'string' || have.has(x.sid + x.seq)) continue
      if (x.held && x.sid !== cur) continue // held data of a session that ended too short
      x.bytes = x.ev.length
      got.push(x)
    }
    // Claimed batches are older than ours; the one in flight stays first.
    queue = busy ? [busy].concat(got, queue.slice(1)) : got.concat(queue)
  }

  // What a closing page can send of a batch at once: its gzip if that is done;
  // else its first pieces that are compressed (runs of them as one member
  // where that is done) as gzip members, and the rest (the pieces from the
  // first the worker had not answered for, and the events since the last
  // piece) written in the worker's encodings and compressed here,
  // synchronously; else (a batch claimed from storage) its JSON, compressed
  // here too when that is quick. Whether the worker had caught up must not
  // change what goes: plain JSON compressed here cost the dashboard a third
  // more in its last request than the same events encoded.
  function bodyNow(b) {
    const z = zipped.get(b)
    if (z) return z
    const parts = partsOf.get(b)
    if (!parts) {
      const json = bodyJson(b)
      return json.length < 100000 ? gzipNow(json) : json
    }
    const runs = parts.runs || []
    const out = []
    let head = batchHead(cfg.wid, b, B.now())
    let i = 0
    while (i < parts.length) {
      let run = null
      for (const r of runs) if (r.from === i && (!run || r.to > run.to)) run = r
      const gz = run ? run.gz : parts[i].gz
      if (!gz) break
      if (head) out.push(gzipNow(head))
      out.push(gz)
      head = ''
      i = run ? run.to : i + 1
    }
    const rest = parts.slice(i)
    let text
    try {
      text = encodeNow(rest.map((p) => p.m))
    } catch (e) {}
    out.push(gzipNow(head + (text || texts(rest)) + ']}'))
    return out
  }

  // Page going away: no time for gzip or retries. Beacon what fits in the
  // keepalive quota, keep the rest for the next page load. A beacon's answer
  // is never known: while the server is failing (a retry is pending) keep a
  // copy of beaconed batches too; the server stores a repeated (sid, seq) once.
  function unload() {
    claim()
    unloaded = true
    flush()
    hidden = true
    let quota = KEEPALIVE_MAX - keepaliveBytes
    const rest = []
    for (const b of queue) {
      if (sendable(b.sid) && quota > 0) {
        const body = bodyNow(b)
        const blob = new win.Blob(Array.isArray(body) ? body : [body], TEXT)
        if (blob.size <= quota && beacon(blob)) {
          quota -= blob.size
          if (!attempt) continue
        }
      }
      rest.push(b)
    }
    queue = rest
    busy = null
    persist(rest)
  }

  function beacon(blob) {
    try {
      if (o.beacon) return o.beacon(url(), blob)
      o.fetch(url(), { ...POST, body: blob, keepalive: true }).then(drain, noop)
      return true
    } catch (e) {
      return false
    }
  }

  function discardOpen() {
    pieces = []
    buf = []
    bufTs = []
    bufBytes = looseBytes = openN = zipBytes = 0
  }

  function discard() {
    discardOpen()
    queue = []
    store.del(key)
    try {
      if (ctl) ctl.abort()
    } catch (e) {}
  }

  const interval = setInterval(() => {
    try {
      flush()
      pump()
    } catch (e) {
      dead = true
    }
  }, cfg.flushMs)

  return {
    add,
    replaceLast,
    dropSince,
    flush,
    claim: () => (claim(), pump()),
    // Hidden pages may be discarded without pagehide: send with keepalive and
    // keep a copy in storage until shown again.
    hide() {
      hidden = true
      flush()
      persist(queue)
      pump()
    },
    show() {
      hidden = unloaded = false
      claim()
      pump()
    },
    unload,
    discard,
    online: () => waiting && retry(),
    stop() {
      dead = true
      if (zip) zip.stop()
      clearInterval(interval)
      clearTimeout(retryTimer)
      discard()
    },
  }
}
