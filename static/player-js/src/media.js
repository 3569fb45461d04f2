// What the visitor's browser answered to media queries that ask about the visitor's device or settings. The
// replay's frame answers them with the viewer's: a visitor's dark page (`@media (prefers-color-scheme:
// dark)`, `color-scheme: light dark`) showed light, and a phone's page (`@media (pointer: coarse)`: larger
// touch targets; `(hover: hover)`: hover effects) showed as on a desktop, laid out otherwise. The recorder
// writes into the Meta event before each full snapshot which of its questions held (docs/protocol.md,
// "Media queries"); the page's CSS is given the visitor's answers before the replayer builds it. (Each event
// is changed once: what it is given asks no more.) And the `scripting` feature: the visitor's page ran scripts
// and the replay's frame runs none, so a page's rules for `(scripting: none)` (a "please turn on JavaScript"
// banner) showed there and those for `(scripting: enabled)` or `(scripting)` did not: answered "enabled".

// Each feature asked, its values, and the question of the recorder's that decides it.
const FEATURES = {
  'prefers-color-scheme': ['dark', 'light', 'prefers-color-scheme: dark'],
  pointer: ['coarse', 'fine', 'pointer: coarse'],
  'any-pointer': ['coarse', 'fine', 'pointer: coarse'],
  hover: ['none', 'hover', 'hover: none'],
  'any-hover': ['none', 'hover', 'hover: none'],
  scripting: ['enabled', 'none'], // (no question: always the first; `initial-only` never)
};
const QUERY = /\(\s*((?:any-)?(?:pointer|hover)|prefers-color-scheme|scripting)\s*(?::\s*([a-z-]+)\s*)?\)/gi;
const BOTH = /(color-scheme\s*:\s*)(?:light\s+dark|dark\s+light)\b/gi;
// (a media query's test that always holds, and one that never does)
const ALWAYS = '(min-width: 0px)';
const NEVER = '(not (min-width: 0px))';

function answered(text, held) {
  return text
    .replace(QUERY, (query, feature, value) => {
      const [yes, no, question] = FEATURES[feature.toLowerCase()];
      const answer = !question || held.includes(question) ? yes : no;
      // (a feature alone, `(scripting)`, holds unless its answer is `none`; only that one is rewritten so)
      if (!value) return question ? query : ALWAYS;
      value = value.toLowerCase();
      return value === answer ? ALWAYS : value === yes || value === no || (!question && value === 'initial-only') ? NEVER : query;
    })
    .replace(BOTH, (_, property) => property + (held.includes('prefers-color-scheme: dark') ? 'dark' : 'light'));
}

const asks = (text) => text.includes('color-scheme') || text.includes('pointer') || text.includes('hover') || text.includes('scripting');
// Where CSS is: a stylesheet's text, a rule inserted, a `media` or `style` attribute, a <style>'s text (a
// change of it says only its text: one with a block in it). Not the page's own text, a tutorial's
// "(hover: none)".
const CSS = { _cssText: 1, rule: 1, media: 1, style: 1 };
const isCss = (o, key, v) => CSS[key] || (key === 'textContent' && o.isStyle) || (key === 'value' && v.includes('{'));

function visit(o, held) {
  // <meta name="color-scheme" content="light dark">
  if (o.name === 'color-scheme' && typeof o.content === 'string') o.content = answered('color-scheme: ' + o.content, held).slice(14);
  for (const key in o) {
    const v = o[key];
    if (typeof v === 'string') {
      if (asks(v) && isCss(o, key, v)) o[key] = answered(v, held);
    } else if (v && typeof v === 'object') visit(v, held);
  }
}

/**
 * What gives each batch of events (in time order) the visitor's answers, as the Meta event before each
 * says: in the batch, or the latest one of those before (a batch of a live session has none; the parts
 * before those shown first, loaded last, start with their own).
 */
export function followMedia() {
  let latest = { timestamp: -Infinity, held: [] };
  return (events) => {
    let held = latest.held;
    for (const event of events) {
      if (event.type === 4) {
        held = (event.data && Array.isArray(event.data.media) && event.data.media) || [];
        if (event.timestamp >= latest.timestamp) latest = { timestamp: event.timestamp, held };
      } else if (event.type === 2 || event.type === 3) visit(event.data, held);
    }
    return events;
  };
}
