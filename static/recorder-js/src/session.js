import { randomId, uuid4 } from './ids.js'

// Visitor and session identity, shared by every tab of the origin through
// localStorage. A session is `{sid, start, last, seq, end}`: it lives until
// `sessionTimeoutMin` without user activity (`last`) or `maxSessionHours` in total;
// `seq` is the next batch number, reserved by read-increment-write so that
// tabs sharing a session never reuse one; `end` is the newest event time its
// batches hold (a later page's events go after it, whatever the clock says).
export function createSessions(store, cfg, crypto) {
  const key = 'ses_' + cfg.wid
  const timeout = cfg.sessionTimeoutMin * 60000
  const maxAge = cfg.maxSessionHours * 3600000
  let vid = null
  let mem = null // last known state, in case storage is cleared or full

  const alive = (s, now, activity) =>
    s &&
    typeof s.sid === 'string' &&
    s.seq >= 0 &&
    now - Math.max(s.last, activity) <= timeout &&
    now - s.start <= maxAge

  function current(now, activity, reserve, end) {
    let s = store.get(key)
    // The page cleared storage, the visitor id too (a site's logout on a shared computer): this page
    // goes on with its session, but no longer hands it on, or the next person's visit would join it.
    const wiped = !s && mem && !store.peek('vid')
    if (mem && (!s || s.sid === mem.sid)) s = { ...mem, ...s, seq: Math.max(mem.seq, s?.seq || 0) }
    if (alive(s, now, activity)) s.last = Math.max(s.last, activity)
    else s = { sid: uuid4(crypto), start: now, last: now, seq: 0 }
    const seq = s.seq
    if (reserve) s.seq++
    if (end > (s.end || 0)) s.end = end
    // Storage full (the page filled it): what it still holds is stale, and the next page would take the
    // same batch numbers again (the server keeps a number's first batch only): it goes, and the next
    // page starts a session of its own.
    if (!wiped && !store.set(key, s)) store.del(key)
    mem = s
    return { sid: s.sid, start: s.start, seq, end: s.end || 0 }
  }

  return {
    // Created (and stored) on first need, outlives sessions.
    visitor() {
      if (vid) return vid
      vid = store.get('vid')
      if (typeof vid !== 'string' || !/^[\w-]{8,64}$/.test(vid)) store.set('vid', (vid = randomId(crypto)))
      return vid
    },
    // The live session (adopting one another tab started), or a new one.
    current: (now, activity) => current(now, activity, false),
    // Same, and takes the next seq for a batch whose newest event time is `end`. The batch goes to the
    // session that was live when its events happened: a page's last changes before the timeout, sent
    // after it (the next flush), are the old session's, not the start of the next one.
    reserve: (now, activity, end) => current(end > 0 && end < now ? end : now, activity, true, end),
  }
}
