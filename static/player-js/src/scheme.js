// The visitor's colour scheme. A page that follows its visitor's light or dark setting (`@media
// (prefers-color-scheme: dark)`, `color-scheme: light dark` in its CSS or its <meta name=color-scheme>)
// replayed in the viewer's, which the replay's frame reads from the viewer's browser: a visitor's dark page
// showed light. The recorder writes `dark: true` into the Meta event before each full snapshot of a
// visitor who prefers dark (docs/protocol.md, "Colour scheme"); the page's CSS is given the visitor's
// answer before the replayer builds it. (Each event is changed once: what it is given asks no more.)

const QUERY = /\(\s*prefers-color-scheme\s*:\s*(light|dark)\s*\)/gi;
const BOTH = /(color-scheme\s*:\s*)(?:light\s+dark|dark\s+light)\b/gi;
// (a media query's test that always holds, and one that never does)
const ALWAYS = '(min-width: 0px)';
const NEVER = '(not (min-width: 0px))';

const answered = (text, dark) =>
  text
    .replace(QUERY, (_, scheme) => ((scheme.toLowerCase() === 'dark') === dark ? ALWAYS : NEVER))
    .replace(BOTH, (_, property) => property + (dark ? 'dark' : 'light'));

function visit(value, dark) {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (typeof value[i] === 'string') value[i] = value[i].includes('color-scheme') ? answered(value[i], dark) : value[i];
      else if (value[i] && typeof value[i] === 'object') visit(value[i], dark);
    }
    return;
  }
  // <meta name="color-scheme" content="light dark">
  if (value.name === 'color-scheme' && typeof value.content === 'string') value.content = answered('color-scheme: ' + value.content, dark).slice(14);
  for (const key in value) {
    const v = value[key];
    if (typeof v === 'string') {
      if (v.includes('color-scheme')) value[key] = answered(v, dark);
    } else if (v && typeof v === 'object') visit(v, dark);
  }
}

/**
 * What gives each batch of events (in time order) the visitor's colour scheme, as the Meta event before
 * each says: in the batch, or the latest one of those before (a batch of a live session has none; the
 * parts before those shown first, loaded last, start with their own).
 */
export function followScheme() {
  let latest = { timestamp: -Infinity, dark: false };
  return (events) => {
    let dark = latest.dark;
    for (const event of events) {
      if (event.type === 4) {
        dark = !!(event.data && event.data.dark);
        if (event.timestamp >= latest.timestamp) latest = { timestamp: event.timestamp, dark };
      } else if (event.type === 2 || event.type === 3) visit(event.data, dark);
    }
    return events;
  };
}
