// Recorded input values are masked with one * per character, but an
// <input type=number> (or date, time, color, range...) cannot hold a *:
// the browser empties it, and the replay would show a field nobody typed in.
// Such inputs replay as text fields, so the mask stays visible.

const VALUELESS = new Set(['number', 'date', 'datetime-local', 'month', 'week', 'time', 'color', 'range']);
const NODE_ELEMENT = 2;
const EVENT_FULL_SNAPSHOT = 2;
const EVENT_INCREMENTAL = 3;
const SOURCE_MUTATION = 0;

function retype(attributes) {
  if (attributes && typeof attributes.type === 'string' && VALUELESS.has(attributes.type.toLowerCase())) {
    attributes.type = 'text';
  }
}

/** Rewrites, in place, the type of every such input in a serialized node tree (no recursion: DOMs run deep). */
function nodesRetype(root) {
  const stack = [root];
  while (stack.length) {
    const node = stack.pop();
    if (!node || typeof node !== 'object') continue;
    if (node.type === NODE_ELEMENT && node.tagName === 'input') retype(node.attributes);
    if (Array.isArray(node.childNodes)) for (const child of node.childNodes) stack.push(child);
  }
}

/** The events, with inputs that cannot show a mask made text fields (in place; returns them). */
export function masksVisible(events) {
  for (const e of events) {
    if (e.type === EVENT_FULL_SNAPSHOT) {
      nodesRetype(e.data.node);
    } else if (e.type === EVENT_INCREMENTAL && e.data.source === SOURCE_MUTATION) {
      for (const add of e.data.adds || []) nodesRetype(add && add.node);
      for (const change of e.data.attributes || []) retype(change && change.attributes);
    }
  }
  return events;
}
