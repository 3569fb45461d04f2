// A replay's frame is of the dashboard's origin, so the recorded page's web fonts load cross-origin there,
// which needs the font's server to answer CORS. A site serving its own fonts seldom does: the replay drew its
// text in a fallback font, with other widths and line breaks than the visitor saw. The fonts of the site's own
// domains are asked of the dashboard's relay instead (replay/fonts.py), which fetches them from the site; a
// font of any other host (a font service that answers CORS) loads as before. Rewritten in the events before
// any replayer (the player's, the heatmap's) sees them, wherever rrweb carries CSS: a stylesheet's text (a
// style element's or an inlined link's `_cssText`), a style's text node, its text changes, rules inserted
// into a sheet and adopted sheets. Only where the site lets replays load its resources (the page then says
// where the relay is).

const FULL_SNAPSHOT = 2;
const INCREMENTAL = 3;
// Where CSS text can be: DOM changes (0), stylesheet rules (8), adopted stylesheets (15).
const CSS_SOURCES = new Set([0, 8, 15]);
const FACE = /@font-face\s*\{[^}]*\}/gi;
const URL_OF = /url\(\s*(['"]?)([^'")]*)\1\s*\)/gi;

// The page's relay (useFontRelay), which replayable() (api.js) hands to fontsRelayed.
let pageRelay = null;

/** Takes the relay the page gives on the player's (or the heatmap's) element, for every later event. */
export function useFontRelay(el) {
  pageRelay = fontRelayOf(el);
}

/** The relay as the page gives it (`data-font-relay`, `data-font-hosts` on the player's element), or null. */
export function fontRelayOf(el) {
  const url = el?.dataset?.fontRelay;
  if (!url) return null;
  let hosts = [];
  try {
    hosts = JSON.parse(el.dataset.fontHosts || '[]');
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

/** `css` with the site's fonts in its @font-face rules asked of the relay. */
export function cssRelayed(css, relay) {
  if (!/@font-face/i.test(css)) return css;
  return css.replace(FACE, (face) =>
    face.replace(URL_OF, (whole, quote, url) =>
      onSiteHosts(url, relay.hosts) ? `url("${relay.url}?url=${encodeURIComponent(url)}")` : whole));
}

/** Every string in `root` (an event's data) run through cssRelayed, in place; iterative: DOMs run deep. */
function stringsRelayed(root, relay) {
  const stack = [root];
  while (stack.length) {
    const o = stack.pop();
    for (const k of Object.keys(o)) {
      const v = o[k];
      if (typeof v === 'string') {
        if (v.length > 10 && /@font-face/i.test(v)) o[k] = cssRelayed(v, relay);
      } else if (v && typeof v === 'object') stack.push(v);
    }
  }
}

/** The events with the site's web fonts asked of the relay (in place; returns them). */
export function fontsRelayed(events, relay = pageRelay) {
  if (!relay || !relay.hosts.length) return events;
  for (const e of events) {
    if (e.type === FULL_SNAPSHOT || (e.type === INCREMENTAL && CSS_SOURCES.has(e.data.source))) stringsRelayed(e.data, relay);
  }
  return events;
}
