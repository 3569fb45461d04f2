// Live follow: while the session is still being recorded, ask for the
// chunks after the last one we have every few seconds and hand their events
// over. Stops when the server says the session is no longer live.
import { fetchEvents, fetchSession } from './api.js';

const INTERVAL_MS = 3000;
const MAX_BACKOFF_MS = 30000;
// A visitor who opens another page of the site ends the session for a moment (the page that goes
// away says so); the next page's first batch comes within the recorder's 10 s upload interval.
const NEXT_PAGE_WAIT_MS = 15000;

/**
 * onEvents(events) gets each new batch; onSession(session) each fresh copy of
 * the session; onStop(reason) is called once when following ends ('ended', or 'gone': the session was deleted).
 * Returns {stop}.
 */
export function startLive({ sessionUrl, eventsUrl, nextSeq, lastTimestamp, onEvents, onSession, onStop, intervalMs = INTERVAL_MS }) {
  let stopped = false;
  let delay = intervalMs;
  let timer = null;
  let endedAt = null; // when the server first said the session is no longer live

  async function poll() {
    timer = null;
    if (stopped) return;
    try {
      const answer = await fetchEvents(eventsUrl, nextSeq);
      let events = answer.events;
      if (answer.nextSeq === null) {
        // A server that does not page: it sent everything again, keep the new tail.
        events = events.filter((e) => e.timestamp > lastTimestamp);
      } else {
        nextSeq = answer.nextSeq;
      }
      if (events.length) {
        endedAt = null;
        for (const e of events) lastTimestamp = Math.max(lastTimestamp, e.timestamp);
        onEvents(events);
      } else {
        // Nothing new: is the session still going? Only asked when idle, to
        // keep polling to one request most of the time.
        const session = await fetchSession(sessionUrl);
        onSession(session);
        if (session.is_live) endedAt = null;
        else if (endedAt === null) endedAt = Date.now();
        if (endedAt !== null && Date.now() - endedAt >= NEXT_PAGE_WAIT_MS) return stop();
      }
      delay = intervalMs;
    } catch (e) {
      // Deleted meanwhile (or no longer this viewer's to see): nothing more will come.
      if (e && (e.status === 404 || e.status === 403)) return stop('gone');
      // Keep trying through a flaky network or a restart, but more slowly.
      delay = Math.min(delay * 2, MAX_BACKOFF_MS);
    }
    if (!stopped) timer = setTimeout(poll, delay);
  }

  function stop(reason = 'ended') {
    if (stopped) return;
    stopped = true;
    clearTimeout(timer);
    onStop(reason);
  }

  timer = setTimeout(poll, delay);
  return { stop };
}
