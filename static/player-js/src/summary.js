// Reads a recording once and lists what the timeline and the panels show:
// page views, console entries, requests, clicks, tags. Pure data in, data
// out, so that live updates can feed it more events as they arrive.

import { readableUrl } from './format.js';

// rrweb's numbers (from @rrweb/types), spelled out to avoid importing rrweb here.
const EVENT_META = 4;
const EVENT_INCREMENTAL = 3;
const EVENT_CUSTOM = 5;
const SOURCE_MOUSE_INTERACTION = 2;
const SOURCE_VIEWPORT_RESIZE = 4;
const MOUSE_CLICK = 2;

const ERROR_KINDS = new Set(['error', 'rejection', 'console.error']);

/** rrweb replays events in timestamp order; a stable sort keeps ties as sent. */
export function sortEvents(events) {
  return events
    .map((event, index) => ({ event, index }))
    .sort((a, b) => a.event.timestamp - b.event.timestamp || a.index - b.index)
    .map((x) => x.event);
}

/** A request that failed outright (status 0) or answered with an error. */
export function isFailedRequest(status) {
  return status === 0 || status >= 400;
}

export function createSummary(startTime) {
  return {
    startTime,
    pages: [],
    console: [],
    network: [],
    clicks: [],
    tags: [],
    identities: [],
    gaps: [],
    stops: [],
    viewports: [],
  };
}

/** Adds events (already in order, at or after startTime) to a summary. */
export function addToSummary(summary, events) {
  for (const event of events) {
    const time = Math.max(0, event.timestamp - summary.startTime);
    if (event.type === EVENT_CUSTOM) addCustom(summary, time, event.data || {});
    else if (event.type === EVENT_META) addViewport(summary, time, event.data);
    else if (event.type === EVENT_INCREMENTAL) addIncremental(summary, time, event.data || {});
  }
  return summary;
}

export function summarize(events) {
  const sorted = sortEvents(events);
  const summary = createSummary(sorted.length ? sorted[0].timestamp : 0);
  return addToSummary(summary, sorted);
}

function addViewport(summary, time, data) {
  if (data && data.width > 0 && data.height > 0) {
    summary.viewports.push({ time, width: data.width, height: data.height });
  }
}

function addIncremental(summary, time, data) {
  if (data.source === SOURCE_MOUSE_INTERACTION && data.type === MOUSE_CLICK) {
    summary.clicks.push({ time, x: data.x, y: data.y });
  } else if (data.source === SOURCE_VIEWPORT_RESIZE) {
    addViewport(summary, time, data);
  }
}

function addCustom(summary, time, { tag, payload }) {
  const p = payload && typeof payload === 'object' ? payload : {};
  switch (tag) {
    case 'hs.page':
      summary.pages.push({ time, url: str(p.url), title: str(p.title), kind: str(p.kind), referrer: str(p.referrer) });
      break;
    case 'hs.error':
      summary.console.push({
        time,
        kind: str(p.kind),
        level: ERROR_KINDS.has(p.kind) ? 'error' : 'warn',
        message: str(p.message),
        source: str(p.source),
        line: num(p.line),
        col: num(p.col),
        stack: str(p.stack),
      });
      break;
    case 'hs.net': {
      const status = num(p.status);
      summary.network.push({
        time,
        kind: str(p.kind),
        method: str(p.method).toUpperCase() || 'GET',
        url: str(p.url),
        status,
        duration: num(p.duration),
        failed: isFailedRequest(status),
      });
      break;
    }
    case 'hs.tag':
      if (p.tags && typeof p.tags === 'object') summary.tags.push({ time, tags: stringMap(p.tags) });
      break;
    case 'hs.identify':
      if (p.id) summary.identities.push({ time, id: str(p.id) });
      break;
    case 'hs.gap':
      summary.gaps.push({ time, dropped: num(p.dropped), bytes: num(p.bytes) });
      break;
    case 'hs.stop':
      summary.stops.push({ time, bytes: num(p.bytes), max: num(p.max) });
      break;
    default:
      break;
  }
}

// Pages the visitor came back to, already loaded (docs/protocol.md, "Tabs"), and a page that rewrote
// itself (document.open()): the badge of the Pages panel, what its entry jumps to, the timeline marker's
// words. A switch back to a tab is not a page view, nor is a page rewritten at the same address.
const RETURNS = {
  tab: { badge: 'Tab', what: 'switch back to a page open in another tab', marker: 'Back to the tab' },
  back: { badge: 'Back', what: 'return to a page the browser kept', marker: 'Back to' },
  open: { badge: 'Rewritten', what: 'page rewriting itself', marker: 'Page rewritten' },
};

/** The return a page entry is (RETURNS), or null for a page view. (kind is recorded text.) */
export const returnOf = (p) => (Object.hasOwn(RETURNS, p.kind) ? RETURNS[p.kind] : null);

/** hs.page kinds of a page changing its own URL in place: no page view, no entry of the Pages panel. */
const IN_PLACE = new Set(['fragment', 'state']);

/** Whether a page entry counts as a page view, as the session's page count does. */
export const isPageView = (p) => p.kind !== 'tab' && p.kind !== 'open' && !IN_PLACE.has(p.kind);

/** Whether a page entry is listed and marked: all but a page replacing its URL's fragment or query in
 * place (a scroll-spy may do it for every heading the reader passes, a search box for every key; the
 * address above the replay still follows it). */
export const isListed = (p) => !IN_PLACE.has(p.kind);

/**
 * The ticks on the seek bar, in time order. `kind` picks the colour; `label`
 * is the tooltip. Warnings and successful requests stay off the bar so that
 * what needs attention stands out.
 */
export function markersOf(summary) {
  const markers = [];
  for (const p of summary.pages.filter(isListed)) {
    const back = returnOf(p);
    markers.push({ time: p.time, kind: 'page', label: `${back ? back.marker : 'Page'}: ${p.title || readableUrl(p.url)}` });
  }
  for (const c of summary.clicks) markers.push({ time: c.time, kind: 'click', label: 'Click' });
  for (const e of summary.console) {
    if (e.level === 'error') markers.push({ time: e.time, kind: 'error', label: `Error: ${e.message}` });
  }
  for (const n of summary.network) {
    if (n.failed) {
      const status = n.status ? n.status : 'network error';
      markers.push({ time: n.time, kind: 'network', label: `Failed request: ${n.method} ${readableUrl(n.url)} (${status})` });
    }
  }
  for (const t of summary.tags) {
    const text = Object.entries(t.tags).map(([k, v]) => `${k}=${v}`).join(', ');
    markers.push({ time: t.time, kind: 'tag', label: `Tag: ${text}` });
  }
  for (const g of summary.gaps) {
    markers.push({ time: g.time, kind: 'gap', label: `Recording gap: ${g.dropped} events dropped` });
  }
  // (The page's next load records again.)
  for (const g of summary.stops) {
    markers.push({ time: g.time, kind: 'gap', label: `Recording stopped on this page: ${tooLarge(g)}` });
  }
  return markers.sort((a, b) => a.time - b.time);
}

const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

/** Why the recording of a page stopped (an hs.stop): its change's size against the largest the recorder sends. */
export function tooLarge(stop) {
  return `a change of ${mb(stop.bytes)}, more than the ${stop.max ? mb(stop.max) : '4 MB'} the recorder sends at once`;
}

/**
 * The page the visitor was on at `time`: the last page view at or before it.
 * The recorder reports a load a moment after the first snapshot, so before
 * any page view the first one is the answer.
 */
export function pageAt(summary, time) {
  let current = summary.pages[0] || null;
  for (const p of summary.pages) {
    if (p.time > time) break;
    current = p;
  }
  return current;
}

/** The viewport at `time`, from Meta events and viewport resizes. */
export function viewportAt(summary, time) {
  let current = null;
  for (const v of summary.viewports) {
    if (v.time > time) break;
    current = v;
  }
  return current || summary.viewports[0] || null;
}

/** Tags and identity set during the recording, merged in order. */
export function recordedTags(summary) {
  return Object.assign({}, ...summary.tags.map((t) => t.tags));
}

function str(v) {
  return v === null || v === undefined ? '' : String(v);
}

function num(v) {
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
}

function stringMap(obj) {
  const out = {};
  for (const [k, v] of Object.entries(obj)) out[String(k)] = str(v);
  return out;
}
