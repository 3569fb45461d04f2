// The two reads the player makes, both same-origin with the dashboard's
// session cookie.

export class HttpError extends Error {
  constructor(status, url) {
    super(status === 0 ? `Network error while loading ${url}` : `HTTP ${status} from ${url}`);
    this.status = status;
  }
}

async function get(url) {
  let response;
  try {
    response = await fetch(url, {
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
      cache: 'no-store',
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
  return { events: events.filter(isEvent), nextSeq: next === null || next === '' ? null : Number(next) };
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
