// The text a viewer could have read on screen, with the moment it appeared:
// text of full snapshots, of nodes added by mutations, text changes, a few
// human-readable attributes and typed input values. Pure, for tests.

const EVENT_FULL_SNAPSHOT = 2;
const EVENT_INCREMENTAL = 3;
const SOURCE_MUTATION = 0;
const SOURCE_INPUT = 5;
const NODE_ELEMENT = 2;
const NODE_TEXT = 3;

// Attributes whose values are text a person sees or hears.
const TEXT_ATTRIBUTES = new Set(['title', 'alt', 'placeholder', 'value', 'aria-label', 'label']);
// Elements whose text is code or styling, not page content.
const SKIP_ELEMENTS = new Set(['script', 'style', 'noscript', 'template']);

const MAX_RESULTS = 200;

export function createIndex(startTime) {
  return { startTime, entries: [] };
}

/** Adds the text of `events` (sorted) to the index. */
export function indexEvents(index, events) {
  for (const event of events) {
    const time = Math.max(0, event.timestamp - index.startTime);
    const push = (text) => {
      const t = String(text).replace(/\s+/g, ' ').trim();
      if (t) index.entries.push({ time, text: t, lower: t.toLowerCase() });
    };
    if (event.type === EVENT_FULL_SNAPSHOT && event.data) {
      walk(event.data.node, push);
    } else if (event.type === EVENT_INCREMENTAL && event.data) {
      indexIncremental(event.data, push);
    }
  }
  return index;
}

function indexIncremental(data, push) {
  if (data.source === SOURCE_MUTATION) {
    for (const add of data.adds || []) walk(add.node, push);
    for (const change of data.texts || []) if (change.value) push(change.value);
    for (const change of data.attributes || []) pushAttributes(change.attributes, push);
  } else if (data.source === SOURCE_INPUT && typeof data.text === 'string') {
    push(data.text);
  }
}

function walk(node, push) {
  // An explicit stack: snapshots of long pages nest deeper than the call stack likes.
  const stack = node ? [node] : [];
  while (stack.length) {
    const n = stack.pop();
    if (n.type === NODE_TEXT) {
      if (!n.isStyle && n.textContent) push(n.textContent);
      continue;
    }
    if (n.type === NODE_ELEMENT) {
      if (SKIP_ELEMENTS.has(String(n.tagName).toLowerCase())) continue;
      pushAttributes(n.attributes, push);
    }
    const children = n.childNodes || [];
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
}

function pushAttributes(attributes, push) {
  for (const [name, value] of Object.entries(attributes || {})) {
    if (TEXT_ATTRIBUTES.has(name) && typeof value === 'string') push(value);
  }
}

/**
 * The moments where `query` appeared (case-insensitive), one per moment:
 * {time, snippet: [before, match, after], more (other matches then)}.
 */
export function searchIndex(index, query, { context = 32 } = {}) {
  const q = String(query || '').trim().toLowerCase();
  if (!q) return [];
  const byTime = new Map();
  for (const entry of index.entries) {
    const at = entry.lower.indexOf(q);
    if (at < 0) continue;
    const found = byTime.get(entry.time);
    if (found) {
      found.more += 1;
      continue;
    }
    if (byTime.size >= MAX_RESULTS) continue;
    byTime.set(entry.time, { time: entry.time, snippet: snippet(entry.text, at, q.length, context), more: 0 });
  }
  return [...byTime.values()].sort((a, b) => a.time - b.time);
}

function snippet(text, at, length, context) {
  const from = Math.max(0, at - context);
  const to = Math.min(text.length, at + length + context);
  return [
    (from > 0 ? '…' : '') + text.slice(from, at),
    text.slice(at, at + length),
    text.slice(at + length, to) + (to < text.length ? '…' : ''),
  ];
}
