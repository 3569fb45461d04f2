import { B } from './clean.js'
import { record } from '@rrweb/record'
import { captureClicks } from './capture/clicks.js'
import { captureErrors } from './capture/console.js'
import { FILL, captureFills } from './capture/fills.js'
import { INDETERMINATE, captureIndeterminate } from './capture/indeterminate.js'
import { captureSheets } from './capture/sheets.js'
import { STATE, captureStates } from './capture/states.js'
import { VALID, captureValidity } from './capture/validity.js'
import { captureNetwork } from './capture/network.js'
import { installQueue, normalizeTags, virtualPageArgs } from './commands.js'
import { normalizeConfig } from './config.js'
import { isSampled, randomId } from './ids.js'
import { navKind, watchNavigation } from './navigation.js'
import { stringify } from './json.js'
import { showNotice } from './notice.js'
import { hearIn, listen } from './patch.js'
import { pageAllowed } from './patterns.js'
import { createPrivacy, starText } from './privacy.js'
import { createSessions } from './session.js'
import { createStore } from './storage.js'
import { cut } from './text.js'
import { createTransport } from './transport.js'

// rrweb options chosen for bytes (budget: 25 KB gzipped per recorded minute).
const RRWEB = {
  sampling: {
    mousemove: 150, // one position per 150 ms (the player draws the path between them)
    mousemoveCallback: 1000, // positions go out in groups, once a second
    // mousedown/up add nothing to a click for the player
    mouseInteraction: { MouseUp: false, MouseDown: false, TouchMove_Departed: false, TouchCancel: false },
    // (Every scroll event: see build.mjs. rrweb's default of one per 100 ms left the replay up to 100 ms
    // behind a wheel scroll on the article, bench/fidelity.py.)
    media: 800,
    // input: every 'input' event, not 'last' (change only): text typed into a
    // field that still has focus when the page closes must not be lost, and
    // researchers watch people type.
  },
  slimDOMOptions: 'all', // no scripts, comments, head meta noise, title mutations
  inlineStylesheet: true, // replays keep their look when the site's CSS changes
  // recordCanvas, collectFonts, inlineImages, recordCrossOriginIframes: off
  // (rrweb's defaults); cross-origin iframes replay as empty boxes.
}

// Media queries whose answers the replay's frame would take from the viewer's browser: those that hold
// go out in each Meta event.
const MEDIA = ['prefers-color-scheme: dark', 'pointer: coarse', 'hover: none']

// Custom events per page load, so a console loop cannot flood the upload.
const LIMITS = { 'hs.error': 100, 'hs.net': 500 }

// What only the page in front sends (see takeFront): its DOM (all of rrweb's events) and these, which
// say where the visitor is and what they see. Errors, requests, identity and tags of a page behind go out.
const FRONT_ONLY = { 'hs.page': 1, 'hs.visibility': 1, 'hs.depth': 1, 'hs.click': 1 }

// What a visitor does to bring a page of the site up, besides showing it (input: a value filled in
// without a key, by autofill or a paste; pointerdown: a touch too).
const BRING_UP = ['pointerdown', 'keydown', 'input', 'wheel', 'focus']

// Every DOM change the page makes goes out, as plain rrweb records it: the
// replay shows what the visitor saw at every moment. (Within one rrweb diff,
// several changes to one node keep only the last value: nothing visible is lost.)
// Values of one field within one frame keep only the newest (see push()):
// no frame showed the others. Every keystroke a frame showed replays.
const TYPING_MS = 16
const NOT_TYPING = { id: null, since: 0 }

// A page hidden this long stops being observed until it is shown again (see rrwebPause).
const HIDDEN_PAUSE_MS = 10000

// The clock rrweb stamps its events with, the browser's (clean.js) as rrweb's is (build.mjs): a page that
// replaces Date.now (a clock synced with its server, a test's fake clock) changes neither, so our events
// and rrweb's never read two clocks.
const now = B.now

// A clock set back while the visit goes on (by hand, or by a time sync on waking from sleep) must not
// put what follows before what came before: the replay plays events in time order. A step back of more
// than this is taken as the clock's, and times go on from the last one.
const CLOCK_STEP_MS = 1000

// A router changes the address first and the title once the new route has rendered (a task, an effect
// after paint, a frame or two later; rrweb's slimDOM leaves <title> changes out): a navigation's hs.page
// waits this long to read the title, stamped with the navigation's time.
const TITLE_MS = 1000

// Source numbers of rrweb incremental events that mean a person is there:
// mouse move, mouse interaction, scroll, viewport resize, input, touch move.
const isUserSource = (s) => s >= 1 && s <= 6

// rrweb keeps every change of a text node in a (coalesced) mutation; the
// player only needs the last one.
function lastTextPerNode(texts) {
  const seen = new Set()
  return texts.reverse().filter((t) => !seen.has(t.id) && seen.add(t.id))
}

// Each node has one text or attribute entry, so their order does not matter:
// in node order, their ids go out as small regular steps (encode.js).
const byId = (a, b) => a.id - b.id

export function createRecorder(options, win) {
  const cfg = normalizeConfig(options)
  const doc = win.document
  const nav = win.navigator
  const store = createStore(win)
  const sessions = store && createSessions(store, cfg, win.crypto)
  const consentKey = 'consent_' + cfg.wid
  const timeout = cfg.sessionTimeoutMin * 60000
  const maxAge = cfg.maxSessionHours * 3600000
  // Uploads use the browser's fetch / sendBeacon (clean.js), not ours (capture/network.js) or the page's.
  const send = B.fetch
  const beacon = B.beacon?.bind(nav)

  let ready = false // queued commands processed
  let phase = 'idle' // idle | waiting (consent) | recording | stopped (capture ended, delivery goes on) | off
  let identity = null
  const tags = {}
  let sess, lastActivity, lastUrl, privacy, transport
  let capture = [] // undo functions of observers and patches
  let marks = [] // what writes states the DOM does not carry as attributes of ours (capture/fills.js, indeterminate.js, sheets.js...)
  let valid // (and of them, the one that follows fields' validity: their input events say when to look)
  let life = [] // delivery's listeners, and the notice
  let counts = {}
  let gap = null // a pending hs.gap
  let gapAt = 0
  let typing = NOT_TYPING // the field whose newest value may still be replaced
  let failures = 0 // rrweb observer errors so far
  let lastTs = 0 // the newest event time sent
  let stepBack = 0 // what the clock's steps back add to event times
  // The page in front: every tab of the visitor shares the session, and each page's rrweb events
  // refer to its own DOM, so the session's events come from one page at a time (takeFront).
  const frontKey = 'front_' + cfg.wid
  const me = randomId(win.crypto) // this page load
  let mine = '' // what this page wrote there: its id and when it came in front
  let front = false // this page's DOM goes out
  let frontless = false // storage refused the key: record as if this page were alone
  // What brings this page in front (BRING_UP) is listened to only while another page is: a listener on
  // every key and click of the page in front, the usual case, cost it more script time than rrweb's own
  // recording. Another page's claim comes as a storage event.
  let ups = []
  const hear = (on) => ups.forEach((f) => (on ? f.on() : f())) // (adding one twice adds it once)
  let loadSaid = false // this page's hs.page of its load went out
  let cached = false // left for another page, kept in the back-forward cache
  let held = null // a navigation's hs.page, waiting for the route's title (TITLE_MS)

  // Every entry point from the page or the browser goes through guard():
  // nothing throws into the host page, and a failure stops recording.
  const guard = (fn) =>
    function () {
      try {
        return fn.apply(this, arguments)
      } catch (e) {
        fail()
      }
    }
  const later = (fn) => setTimeout(guard(fn), 0)

  function fail() {
    try {
      stopCapture()
    } catch (e) {}
  }

  // ---- deciding ----------------------------------------------------------

  function verdict() {
    if (!store || !send || !cfg.endpoint || !cfg.wid || !win.MutationObserver || store.get('optout')) return 'off'
    if (cfg.honorDnt && (nav.globalPrivacyControl === true || nav.doNotTrack === '1' || win.doNotTrack === '1')) return 'off'
    const c = store.get(consentKey)
    if (c === 0 || (cfg.consentRequired && c !== 1)) return 'waiting'
    if (!pageAllowed(win.location, cfg.include, cfg.exclude)) return 'off'
    // The visitor id is stored even when not sampled, so the choice is stable.
    return isSampled(sessions.visitor(), cfg.sampleRate) ? 'go' : 'off'
  }

  function decide() {
    if (phase !== 'idle' && phase !== 'waiting') return
    // A page the browser renders ahead of a click the visitor may never make (speculation rules, a search
    // engine's first result) is nobody's visit until it is shown: nothing starts before.
    if (doc.prerendering) return doc.addEventListener('prerenderingchange', guard(decide), { once: true })
    const v = verdict()
    if (v === 'go') begin()
    else phase = v
  }

  // ---- recording ---------------------------------------------------------

  function begin() {
    phase = 'recording'
    counts = {}
    gap = null
    const t = now()
    lastActivity = t
    // Activity 0: a page load alone does not revive a session that timed out.
    sess = sessions.current(t, 0)
    // (An earlier page of the session may have run on a clock that has since been set back.)
    lastTs = sess.end
    lastUrl = win.location.href
    privacy = createPrivacy(cfg, doc, () => record.mirror)
    capture = [release, privacy.stop] // (what was held goes first)
    transport = createTransport({
      win,
      cfg,
      store,
      vid: sessions.visitor(),
      session: () => sess,
      reserve,
      fetch: send,
      beacon,
      onGap,
      onForbidden: guard(shutdown),
      clock,
    })
    life = [
      () => transport.stop(),
      listen(doc, 'visibilitychange', guard(onVisibility)),
      listen(win, 'pagehide', guard(onPageHide)),
      listen(win, 'pageshow', guard((e) => e.persisted && (takeFront(), transport.show()))),
      listen(win, 'online', guard(transport.online)),
    ]
    // document.open() (the page's own, or document.write's after load) erases every listener of the
    // document and the window, and replaces the DOM: the document, its observers and our patches stay.
    // What was held would never be sent (pagehide and visibilitychange no longer came), and nothing
    // after recorded. A new root element says so: our listeners are added again (the notice too), and
    // rrweb starts again, with a full snapshot of the new document, then hs.page says what the page now
    // is (its title: the Pages panel, the timeline), as `open`, no page view (the address stays).
    let root = doc.documentElement
    const opened = new win.MutationObserver(
      guard(() => {
        if (root === (root = doc.documentElement)) return
        for (const f of capture.concat(life)) f.on && f.on()
        if (rrwebStop) rrwebStop(), (rrwebStop = null), snapshot()
        if (root) page('open', lastUrl, doc.title, '')
      })
    )
    opened.observe(doc, { childList: true })
    life.push(() => opened.disconnect())
    transport.claim() // batches a previous page of this browser left unsent
    // A page loaded in view is in front; one loaded behind (a tab opened in the background,
    // a prerender) comes in front when the visitor brings it up, with a full snapshot then.
    if (doc.visibilityState !== 'hidden') claim()
    capture.push(() => rrwebStop && (rrwebStop(), (rrwebStop = null)))
    // (Before rrweb's first snapshot, which notes what they follow, as each one after it does; and which
    // gives every shadow root in it the document's listeners so far: patch.js, hearIn.)
    const marked = (name) => guard((el, v) => mark(el, { [name]: v }))
    valid = captureValidity(win, marked(VALID), (el) => privacy.secret(el) || el.closest(privacy.ignoreSel))
    marks = [captureFills(win, marked(FILL)), captureIndeterminate(win, marked(INDETERMINATE)), valid, captureStates(win, marked(STATE)), captureSheets(win, marked('disabled'))]
    capture.push(...marks)
    capture.push(listen(doc, 'change', guard(onFileChosen), true))
    // A popover changes right after its beforetoggle event, which the page
    // may call off: the change is taken once the page's own listeners ran.
    // (toggle comes a task later, after frames that may have shown it.)
    capture.push(
      listen(doc, 'beforetoggle', (e) => {
        const el = e.target
        if (el.popover) el.addEventListener('beforetoggle', guard((f) => popover(el, f.newState == 'open' && !f.defaultPrevented)), { once: true })
      }, true)
    )
    // Focus moving within a component's shadow root never reaches the document, where rrweb hears it: the
    // root's copy of this listener (hearIn) takes such a move as rrweb would.
    capture.push(
      listen(doc, 'focus', (e, r = e.currentTarget) => {
        const id = r != doc && e.relatedTarget?.getRootNode() == r && record.mirror.getId(e.target)
        if (id > 0) onEvent({ type: 3, data: { source: 2, type: 5, id }, timestamp: now() })
      }, true)
    )
    if (front && !rrwebStart()) return fail()
    sessionStart(doc.referrer)
    capture.push(...watchNavigation(win, guard(onNav)))
    if (cfg.recordConsole) capture.push(...captureErrors(win, guard((p) => custom('hs.error', privacy.error(p)))))
    if (cfg.recordNetwork) capture.push(captureNetwork(win, cfg, guard((p) => custom('hs.net', p))))
    capture.push(...captureClicks(win, privacy.ignoreSel, guard(custom)))
    // (On the window, in the capture phase: before rrweb's listeners and ours on the document.)
    // (A page's own script cannot take it: its events are not trusted, and its focus() calls focus
    // an element, not the window.)
    const bringUp = guard((e) => e.isTrusted && (e.type !== 'focus' || e.target === win) && takeFront())
    ups = BRING_UP.map((type) => listen(win, type, bringUp, true))
    capture.push(...ups, listen(win, 'storage', guard(inFront)))
    hear(!front)
    if (cfg.notice) life.push(showNotice(doc, store, cfg.noticeText))
  }

  function stopCapture() {
    const fns = capture
    capture = []
    for (const f of fns) {
      try {
        f()
      } catch (e) {}
    }
    if (phase === 'recording') phase = 'stopped'
    if (transport) transport.flush()
  }

  // Stop and forget: nothing unsent leaves the browser.
  function shutdown() {
    stopCapture()
    for (const f of life) {
      try {
        f()
      } catch (e) {}
    }
    life = []
    transport = null
    phase = 'off'
  }

  // rrweb observes the page while its DOM goes out: from when the page is in front (its start takes the
  // full snapshot) until it learns that another page came in front. A page behind sends nothing of its DOM
  // and comes back with a fresh snapshot, so a busy page left in another tab (a live dashboard, a chat)
  // costs its visitor no recording work meanwhile.
  // The same for a page hidden a while (another site's tab, a minimised window): what it shows when the
  // visitor looks again is in the snapshot taken then, and the replay holds what they saw last. A quick
  // look elsewhere (under HIDDEN_PAUSE_MS) costs no snapshot.
  let rrwebStop = null
  let asleep = false // paused while hidden
  let sleepTimer = 0
  function rrwebStart() {
    rrwebStop = record({
      emit: guard(onEvent),
      // rrweb reports its own observer failures here (a DOM change too deep
      // for its recursion, say): what it lost is taken again as a full
      // snapshot; a page that keeps failing is no longer recorded.
      errorHandler: () => {
        later(() => (++failures > 3 ? fail() : phase === 'recording' && snapshot()))
        return true
      },
      checkoutEveryNms: cfg.checkoutMs,
      ...RRWEB,
      ...privacy.rrweb,
    })
    return !!rrwebStop
  }
  function rrwebPause() {
    if (phase !== 'recording' || (front && !asleep) || !rrwebStop) return
    const stop = rrwebStop
    rrwebStop = null
    stop()
  }
  // A full snapshot of the page in front (rrweb's start takes one where it was paused).
  function snapshot() {
    if (rrwebStop) record.takeFullSnapshot(true)
    else if (front && !asleep && !rrwebStart()) fail()
  }

  function onEvent(e) {
    if (phase !== 'recording') return
    if (!inFront()) return later(rrwebPause)
    const src = e.type === 3 ? e.data.source : -1
    const t = e.timestamp
    if (isUserSource(src)) {
      if (t - lastActivity > timeout || t - sess.start > maxAge) return wake(t)
      lastActivity = t
    } else if (t - lastActivity > timeout) {
      // Nobody there: an unattended page's churn is not worth sending, nor are rrweb's snapshots of it
      // (every 5 minutes while it changes; one as a page hidden since comes back). The visitor's next
      // move opens the next session with a snapshot of its own (wake).
      return
    }
    if (src === 0) {
      e.data.texts = lastTextPerNode(e.data.texts).sort(byId)
      e.data.attributes.sort(byId)
    }
    // What the visitor's browser answers, which the player gives the page's CSS (docs/protocol.md, "Media queries").
    if (e.type === 4) e.data.media = MEDIA.filter((q) => win.matchMedia('(' + q + ')').matches)
    privacy.scrub(e)
    push(e)
    const node = (id) => record.mirror.getNode(id)
    // (A node added is built anew in the replay, without the attributes of ours its element had.)
    // (A node put in a shadow root, as a host comes with its root's content or a root is attached to an
    // element already there: that root hears as the document does, patch.js hearIn.)
    if (src === 0)
      for (const a of e.data.adds) {
        if (a.node.isShadow) hearIn(node(a.parentId)?.shadowRoot)
        if (a.node.type === 2) for (const m of marks) m.added && m.added(node(a.node.id))
      }
    if (src === 5 && valid) valid.input(node(e.data.id))
    if (e.type === 2) {
      // What has focus already (autofocus, or focus taken before we started):
      // rrweb records focus as it moves, as a mouse interaction of type 5.
      let a = doc.activeElement
      while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement
      const id = a && a !== doc.body && a.localName != 'iframe' && record.mirror.getId(a)
      // (Not through onEvent: a state, not something the visitor did now.)
      if (id > 0) push({ type: 3, data: { source: 2, type: 5, id }, timestamp: t }) // (t: as the clock gave it; push() moves it)
      // (Each open shadow root's too: a component's states set before we started.)
      const roots = [doc]
      const hosts = (n) => (n.isShadowHost && roots.push(node(n.id).shadowRoot), n.childNodes?.forEach(hosts))
      hosts(e.data.node)
      roots.forEach(hearIn)
      try {
        for (const r of roots) r.querySelectorAll(':popover-open').forEach((el) => popover(el, 1))
      } catch (x) {} // a browser without popovers
      for (const m of marks) m.snapshot(roots)
      // (What they note was so at the snapshot, with its time: a moment sought just after it, before the
      // next task, showed the page without them, a theme turned off as on.)
      marksOut(t)
    }
  }

  // An open popover (showPopover()) has no attribute that says so, and rrweb
  // records none: its state goes out as an attribute change of ours, which
  // the player applies (docs/protocol.md, "Popovers").
  // A popover the page has just added and shown in the same script gets its
  // id when rrweb takes the addition, in a microtask: the state waits for it.
  const popover = (el, open) => mark(el, { 'data-hindsight-popover': open ? '' : null })
  // An attribute change of ours (never made on the page), as a DOM change of the element: those of a
  // task go out as one change once its microtasks ran (a snapshot notes every field's validity), with the
  // ids the nodes have then. (One of a node rrweb has not taken yet waits for the next.)
  let marking = null
  function mark(el, attributes, again) {
    if (!marking) (marking = []), queueMicrotask(guard(marksOut))
    marking.push([el, attributes, again])
  }
  function marksOut(at) {
    const all = []
    const items = marking || [] // (none left for the microtask, where the snapshot took them)
    marking = null
    for (const [el, attributes, again] of items) {
      const id = record.mirror.getId(el)
      if (id > 0) all.push({ id, attributes })
      else if (id < 0 && !again) mark(el, attributes, 1)
    }
    if (all.length) onEvent({ type: 3, data: { source: 0, texts: [], attributes: all, removes: [], adds: [] }, timestamp: at || now() })
  }

  // A person is back after the session timeout (or the session is too old):
  // continue the session if another tab kept it alive, else start a new one.
  // Either way the replay needs a fresh full snapshot.
  function wake(t) {
    transport.flush()
    const s = sessions.current(t, lastActivity)
    lastActivity = t
    if (s.sid !== sess.sid) newSession(s)
    snapshotSoon()
  }

  function reserve() {
    const r = sessions.reserve(now(), lastActivity, lastTs)
    if (r.sid !== sess.sid) {
      // Storage said the session ended (or was cleared): this batch opens a new one.
      newSession(r)
      snapshotSoon()
    }
    return r
  }

  function newSession(s) {
    sess = s
    counts = {} // the caps on errors and requests are a session's
    later(() => sessionStart(''))
  }

  // Data was dropped to stay within memory: say how much and take a full
  // snapshot so the replay can go on from there. While the server stays down
  // that snapshot pushes out more old data, so at most one per 10 s.
  function onGap(dropped, bytes) {
    if (!gap) {
      gap = { dropped: 0, bytes: 0 }
      const t = setTimeout(
        guard(() => {
          custom('hs.gap', gap)
          gap = null
          gapAt = now()
          snapshotSoon()
        }),
        Math.min(10000, Math.max(0, gapAt + 10000 - now())) // (within 10 s if the clock was set back)
      )
      capture.push(() => clearTimeout(t))
    }
    gap.dropped += dropped
    gap.bytes += bytes
  }

  // ---- the page in front --------------------------------------------------
  // Two tabs' events in one stream would be played into one page (ids of one DOM applied to the
  // other's). So the session's events follow the page the visitor last brought up: loaded in view,
  // shown, focused, clicked, typed in. The page in front is named in localStorage; a page that is no
  // longer named stops sending its DOM at its next event, and one that comes back in front starts
  // again with a full snapshot, as a page load does (docs/protocol.md, "Tabs").

  // One read of localStorage per event (another tab may have taken the front a moment ago).
  function inFront() {
    const v = frontless || store.peek(frontKey)
    if (v === true || v === mine) return (front = true)
    // (Nothing named: the page's own script cleared localStorage. The page in front stays so.)
    if (v === null) return front && claim()
    // Another page came in front at the time it wrote. What this page did since (its tab learns of the
    // write a moment later) would play into that page's snapshot: taken back, as far as it is still here.
    if (front && v) transport.dropSince(+v.slice(v.indexOf(' ') + 1, -1) || Infinity)
    front = false
    hear(1)
  }

  function claim() {
    const value = me + ' ' + now()
    mine = stringify(value)
    if (!store.set(frontKey, value)) frontless = true
    front = true
    return hear(), 1
  }

  function takeFront() {
    const back = cached
    cached = false
    if (phase !== 'recording' || inFront()) return
    claim()
    snapshot()
    // The first time in front, the page's load (what it showed since goes out in this snapshot).
    // (A page back from the back-forward cache is shown before its pageshow event.)
    if (loadSaid) page(back ? 'back' : 'tab', lastUrl, doc.title, '')
    else page('load', lastUrl, doc.title, doc.referrer)
  }

  function snapshotSoon() {
    later(() => phase === 'recording' && snapshot())
  }

  // The time the next event would be stamped with (push), without taking a step.
  function clock() {
    return Math.max(now() + stepBack, lastTs)
  }

  // Buffers the event; returns its size in JSON. (`at`: its time, taken with clock() already.)
  function push(e, at) {
    if (!at && e.timestamp + stepBack < lastTs - CLOCK_STEP_MS) stepBack = lastTs - e.timestamp
    lastTs = Math.max(lastTs, at || (e.timestamp += stepBack))
    const json = stringify(e)
    // A page this large cannot be recorded within the memory cap: the replay is told why it stops here.
    if (json.length > cfg.capBytes / 2) return custom('hs.stop', { bytes: json.length, max: cfg.capBytes / 2 }), fail()
    // Each keystroke carries the field's whole value: a newer value of the
    // same field within one frame replaces the one before (gzip takes care of
    // the repeated prefixes of slower typing).
    const field = e.type === 3 && e.data.source === 5 ? e.data.id : null
    if (field !== null && field === typing.id && e.timestamp - typing.since < TYPING_MS && transport.replaceLast(json, e.timestamp)) return json.length
    typing = field === null ? NOT_TYPING : field === typing.id && e.timestamp - typing.since < TYPING_MS ? typing : { id: field, since: e.timestamp }
    transport.add(json, e.timestamp)
    return json.length
  }

  function custom(tag, payload, at) {
    if (phase !== 'recording' || (FRONT_ONLY[tag] && !inFront())) return
    if (tag === 'hs.page' && payload.kind === 'load') loadSaid = true
    counts[tag] = (counts[tag] || 0) + 1
    if (counts[tag] <= (LIMITS[tag] || Infinity)) push({ type: 5, data: { tag, payload }, timestamp: at || now() }, at)
  }

  // ---- what the page does ------------------------------------------------

  function page(kind, url, title, referrer, at) {
    release() // pages in the order they came
    if (cfg.maskAllText) title = starText(title)
    const payload = { url: privacy.page(url), title, referrer: privacy.page(referrer), kind }
    // How the browser came to a loaded page: `back_forward` is the tab's back or forward, not a new tab
    // or a link to the same address (the detector's quick back).
    if (kind === 'load') payload.nav = navigationType()
    custom('hs.page', payload, at)
  }

  function navigationType() {
    try {
      const entry = win.performance.getEntriesByType('navigation')[0]
      return entry?.type || ''
    } catch (e) {
      return ''
    }
  }

  // The held navigation's hs.page goes now, with the title the page has now.
  function release() {
    const f = held
    held = null
    if (f) f()
  }

  function sessionStart(referrer) {
    page('load', lastUrl, doc.title, referrer)
    const s = win.screen || {}
    let tz = ''
    try {
      // Temporal reads the zone in a tenth of a millisecond; Intl loads its
      // time zone data first, 13-24 ms of the page's main thread on each load.
      const T = win.Temporal
      tz = (T ? T.Now.timeZoneId() : Intl.DateTimeFormat().resolvedOptions().timeZone) || ''
    } catch (e) {}
    custom('hs.device', {
      screenW: s.width | 0,
      screenH: s.height | 0,
      vpW: win.innerWidth | 0,
      vpH: win.innerHeight | 0,
      dpr: win.devicePixelRatio || 1,
      touch: nav.maxTouchPoints > 0,
      lang: nav.language || '',
      tz,
    })
    if (identity) custom('hs.identify', { id: identity })
    if (B.keys(tags).length) custom('hs.tag', { tags })
  }

  function onNav(kind) {
    const url = win.location.href
    if (url === lastUrl) return
    const from = lastUrl
    lastUrl = url
    // Navigated into an excluded page: stop here (what came before is delivered).
    if (!pageAllowed(win.location, cfg.include, cfg.exclude)) return stopCapture()
    release()
    const at = clock()
    const f = (held = () => page(navKind(kind, from, url), url, doc.title, from, at))
    setTimeout(guard(() => held === f && release()), TITLE_MS)
  }

  // What hs.visibility last said.
  let shown = doc.visibilityState === 'hidden' ? 'hidden' : 'visible'
  function onVisibility() {
    release()
    const state = doc.visibilityState === 'hidden' ? 'hidden' : 'visible'
    clearTimeout(sleepTimer)
    if (state === 'visible') {
      asleep = false
      takeFront()
      if (front && !rrwebStop) snapshot() // back after a while hidden
    }
    if (state !== shown) custom('hs.visibility', { state }) // else already said at pagehide
    shown = state
    if (state === 'hidden') {
      transport.hide()
      sleepTimer = setTimeout(guard(() => doc.visibilityState === 'hidden' && ((asleep = true), rrwebPause())), HIDDEN_PAUSE_MS)
    } else transport.show()
  }

  // The page goes away (closed, left for another page, or kept in the back-forward cache). Browsers
  // fire pagehide before the hidden visibilitychange, whose batch could no longer leave: say it
  // here, so that the last batch tells the server the visitor no longer sees this page.
  function onPageHide(e) {
    release()
    cached = e.persisted
    if (shown !== 'hidden') {
      shown = 'hidden'
      custom('hs.visibility', { state: 'hidden' })
    }
    transport.unload()
  }

  // rrweb never records files; we record how many were chosen, never names.
  function onFileChosen(e) {
    const el = e.target
    if (el && el.localName === 'input' && el.type === 'file' && !el.closest(privacy.ignoreSel)) {
      custom('hs.file', { chosen: el.files ? el.files.length : 0 })
    }
  }

  // ---- commands ------------------------------------------------------------

  function handle(cmd) {
    if (!cmd || typeof cmd !== 'object') return
    const name = cmd[0]
    const a = cmd[1]
    if (name === 'identify') {
      if ((typeof a === 'string' && a) || typeof a === 'number') {
        identity = cut(a, 255)
        custom('hs.identify', { id: identity })
      }
    } else if (name === 'tagSession') {
      const t = normalizeTags(a)
      if (t) {
        B.assign(tags, t)
        custom('hs.tag', { tags: t })
      }
    } else if (name === 'virtualPage') {
      if (phase === 'recording') {
        const p = virtualPageArgs(a, cmd[2], win.location, doc)
        page('virtual', p.url, p.title, lastUrl)
      }
    } else if (name === 'consent') {
      consent(a)
    } else if (name === 'optOut') {
      shutdown()
      if (store) {
        for (const k of store.keys()) store.del(k)
        store.set('optout', 1)
      }
    }
  }

  function consent(v) {
    if (v === true) {
      if (store && !store.get('optout')) store.set(consentKey, 1)
      if (ready && phase === 'waiting') decide()
    } else if (v === false) {
      const was = phase
      shutdown()
      phase = was === 'off' ? 'off' : 'waiting'
      if (store) {
        // Forget this visitor; where consent is optional, remember the refusal.
        for (const k of store.keys()) if (k !== 'optout' && k !== 'notice') store.del(k)
        if (!cfg.consentRequired) store.set(consentKey, 0)
      }
    }
  }

  return {
    start() {
      const queued = installQueue(win, guard(handle))
      // Queued commands first (a queued optOut or consent decides), then start.
      for (const c of queued) guard(handle)(c)
      ready = true
      decide()
    },
  }
}
