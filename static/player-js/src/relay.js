// A replay's frame is of the dashboard's origin, where two kinds of the recorded page's files do not load
// from the site: a web font loads cross-origin only if its server answers CORS, which a site serving its own
// fonts seldom does (the replay drew its text in a fallback font, with other widths and line breaks), and an
// SVG `<use>` never takes a symbol from another origin's file (a sprite sheet's icons were missing). Those of
// the site's own domains are asked of the dashboard's relay instead (replay/relay.py), which fetches them
// from the site; a file of any other host (a font service that answers CORS) loads as before. Rewritten in
// the events before any replayer (the player's, the heatmap's) sees them: the fonts wherever rrweb carries
// CSS (a stylesheet's text, a style element's or an inlined link's `_cssText`, a style's text node, its text
// changes, rules inserted into a sheet and adopted sheets), the sprites in the `href` of `<use>` elements,
// as written and as changed. Only where the site lets replays load its resources (the page then says where
// the relay is).

const FULL_SNAPSHOT = 2;
const INCREMENTAL = 3;
// Where CSS text can be: DOM changes (0), stylesheet rules (8), adopted stylesheets (15).
const CSS_SOURCES = new Set([0, 8, 15]);
const FACE = /@font-face\s*\{[^}]*\}/gi;
const URL_OF = /url\(\s*(['"]?)([^'")]*)\1\s*\)/gi;
const USE_HREF = ['href', 'xlink:href'];

// The page's relay (useRelay), which replayable() (api.js) hands to relayed, and the ids of the `<use>`
// elements of every page of the recording seen so far (parts may come in any order; an id another page gave a
// `<use>` costs at most an `<a href>` of the site that points at the relay in the replay, where no link is
// followed).
let pageRelay = null;
const pageUses = new Set();

/** Takes the relay the page gives on the player's (or the heatmap's) element, for every later event. */
export function useRelay(el) {
  pageRelay = relayOf(el);
}

/** The relay as the page gives it (`data-relay`, `data-relay-hosts` on the player's element), or null. */
export function relayOf(el) {
  const url = el?.dataset?.relay;
  if (!url) return null;
  let hosts = [];
  try {
    hosts = JSON.parse(el.dataset.relayHosts || '[]');
  } catch (e) {
    // (no hosts: nothing is relayed)
  }
  return { url: new URL(url, window.location.href).href, hosts: Array.isArray(hosts) ? hosts.map(String) : [] };
}

/**
 * Whether `url` is on one of the site's domains, as the server's check has it (sites/domains.py): an entry
 * without a port matches any port, `*.example.com` matches example.com and every host under it.
 */
export function onSiteHosts(url, hosts) {
  let u;
  try {
    u = new URL(url);
  } catch (e) {
    return false;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = u.port ? Number(u.port) : null;
  return hosts.some((entry) => {
    const m = /^(\*\.)?(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(entry.toLowerCase());
    if (!m) return false;
    const name = m[2].replace(/^\[|\]$/g, '');
    if (m[3] !== undefined && Number(m[3]) !== port) return false;
    return host === name || (!!m[1] && host.endsWith('.' + name));
  });
}

/** The relay's address for `url` (its fragment, a sprite's symbol, kept after it), or `url` off the site. */
export function relayedUrl(url, relay) {
  if (!onSiteHosts(url, relay.hosts)) return url;
  const hash = url.indexOf('#');
  const file = hash < 0 ? url : url.slice(0, hash);
  return `${relay.url}?url=${encodeURIComponent(file)}${hash < 0 ? '' : url.slice(hash)}`;
}

/** `css` with the site's fonts in its @font-face rules asked of the relay. */
export function cssRelayed(css, relay) {
  if (!/@font-face/i.test(css)) return css;
  return css.replace(FACE, (face) =>
    face.replace(URL_OF, (whole, quote, url) => {
      const relayedTo = relayedUrl(url, relay);
      return relayedTo === url ? whole : `url("${relayedTo}")`;
    }));
}

/** A `<use>`'s attributes with its sprite asked of the relay (in place). */
function useRelayed(attributes, relay) {
  for (const name of USE_HREF) {
    const v = attributes[name];
    if (typeof v === 'string') attributes[name] = relayedUrl(v, relay);
  }
}

/**
 * Every string in `root` (an event's data) run through cssRelayed, and each `<use>` element's href through
 * the relay, in place; iterative: DOMs run deep. `uses` collects the ids of `<use>` elements, whose later
 * attribute changes (by id) are relayed too.
 */
function dataRelayed(root, relay, uses) {
  const stack = [root];
  while (stack.length) {
    const o = stack.pop();
    if (o.tagName === 'use' && o.attributes && typeof o.attributes === 'object') {
      uses.add(o.id);
      useRelayed(o.attributes, relay);
    }
    for (const k of Object.keys(o)) {
      const v = o[k];
      if (typeof v === 'string') {
        if (v.length > 10 && /@font-face/i.test(v)) o[k] = cssRelayed(v, relay);
      } else if (v && typeof v === 'object') stack.push(v);
    }
  }
}

/** The events with the site's web fonts and SVG sprites asked of the relay (in place; returns them). */
export function relayed(events, relay = pageRelay, uses = pageUses) {
  if (!relay || !relay.hosts.length) return events;
  for (const e of events) {
    if (e.type === FULL_SNAPSHOT || (e.type === INCREMENTAL && CSS_SOURCES.has(e.data.source))) dataRelayed(e.data, relay, uses);
    if (e.type === INCREMENTAL && e.data.source === 0 && Array.isArray(e.data.attributes)) {
      for (const change of e.data.attributes) if (change && uses.has(change.id) && change.attributes) useRelayed(change.attributes, relay);
    }
  }
  return events;
}
