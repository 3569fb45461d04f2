// The reads the player makes (the session, its recording's parts, new events
// of a live session), all same-origin with the dashboard's session cookie.

import { handlersInert } from './handlers.js';
import { masksVisible } from './masked.js';
import { relayed } from './relay.js';

export class HttpError extends Error {
  constructor(status, url) {
    super(status === 0 ? `Network error while loading ${url}` : `HTTP ${status} from ${url}`);
    this.status = status;
  }
}

// cache: parts of a compacted recording never change (the server says how
// long to keep them); everything else is asked afresh.
async function get(url, cache = 'no-store') {
  let response;
  try {
    response = await fetch(url, {
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
      cache,
    });
  } catch (e) {
    throw new HttpError(0, url);
  }
  if (!response.ok) throw new HttpError(response.status, url);
  return response;
}

export async function fetchSession(url) {
  return (await get(url)).json();
}

/** The recording's parts ({name, url, first_ts, last_ts, snapshots, ...}), start, end and next_seq. */
export async function fetchRecording(url) {
  const answer = await (await get(url)).json();
  if (!answer || !Array.isArray(answer.parts)) throw new Error('The recording answer has no list of parts.');
  return answer;
}

/** One part's events (the browser decodes the stored zstd or gzip). */
export async function fetchPart(url) {
  const events = await (await get(url, 'default')).json();
  if (!Array.isArray(events)) throw new Error('A part of the recording is not a JSON array.');
  return replayable(events.filter(isEvent));
}

/** The recording list's URL, next to the session's: /api/v1/sessions/<id>/recording/. */
export function recordingUrl(sessionUrl) {
  return sessionUrl.replace(/\/?$/, '/') + 'recording/';
}

/**
 * Events of the chunks from `fromSeq` on (all when null), and the sequence
 * number to ask for next (null when the server did not say).
 */
export async function fetchEvents(url, fromSeq = null) {
  const target = fromSeq === null ? url : withParam(url, 'from_seq', fromSeq);
  const response = await get(target);
  const events = await response.json();
  if (!Array.isArray(events)) throw new Error('The events answer is not a JSON array.');
  const next = response.headers.get('X-Next-Seq');
  return { events: replayable(events.filter(isEvent)), nextSeq: next === null || next === '' ? null : Number(next) };
}

/**
 * Stored events as every replay of ours (the player's, the heatmap's) gives them to its frame: masked fields
 * show their mask, the page's inline handlers are out of the script-less frame's way, the site's web fonts
 * and SVG sprites come through the dashboard's relay (in place; returns them).
 */
export function replayable(events) {
  return masksVisible(handlersInert(relayed(events)));
}

/** An rrweb event as the replayer needs it; anything else would throw inside rrweb. */
function isEvent(e) {
  return e && typeof e === 'object' && Number.isInteger(e.type) && Number.isFinite(e.timestamp) && e.data && typeof e.data === 'object';
}

export function withParam(url, name, value) {
  const u = new URL(url, window.location.href);
  u.searchParams.set(name, String(value));
  return u.origin === window.location.origin ? u.pathname + u.search : u.href;
}
