// The text a viewer could have read on screen, with the moment it appeared:
// text of full snapshots, of nodes added by mutations, text changes, a few
// human-readable attributes and typed input values. Pure, for tests.
//
// Text the page's markup hid at that moment (`hidden`, an inline `display:
// none` or `visibility: hidden`, a closed <details> or <dialog>, a hidden
// input) is not listed then, but at the moment a change shows it. A small
// mirror of the page's nodes (the same size as the page) tells which is which;
// a change walks a subtree only when it hides or shows it. Stylesheet rules
// (a class that hides a menu) would need the replayed page's computed style,
// which the index does not have: such text is listed as if shown.

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
  return { startTime, entries: [], nodes: new Map() };
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
      // A new page: the nodes of the one before are gone.
      index.nodes.clear();
      attach(index.nodes, event.data.node, null, push);
    } else if (event.type === EVENT_INCREMENTAL && event.data) {
      indexIncremental(index.nodes, event.data, push);
    }
  }
  return index;
}

// In the order rrweb applies them.
function indexIncremental(nodes, data, push) {
  if (data.source === SOURCE_MUTATION) {
    for (const remove of data.removes || []) detach(nodes, nodes.get(remove.id));
    for (const add of data.adds || []) attach(nodes, add.node, nodes.get(add.parentId), push);
    for (const change of data.texts || []) {
      const node = nodes.get(change.id);
      if (node) node.text = change.value;
      if (change.value && isShown(node)) push(change.value);
    }
    for (const change of data.attributes || []) changeAttributes(nodes.get(change.id), change.attributes, push);
  } else if (data.source === SOURCE_INPUT && typeof data.text === 'string') {
    if (isShown(nodes.get(data.id))) push(data.text);
  }
}

// Nodes the index never saw (a part of the page it has no snapshot of) count as shown.
const isShown = (node) => !node || node.shown;

/** Adds a serialized node and its subtree under `parent`, listing the text that shows. */
function attach(nodes, serialized, parent, push) {
  // An explicit stack: snapshots of long pages nest deeper than the call stack likes.
  const stack = serialized ? [[serialized, parent]] : [];
  while (stack.length) {
    const [n, up] = stack.pop();
    const node = { id: n.id, type: n.type, parent: up, children: new Set(), shown: false };
    if (n.type === NODE_TEXT) node.text = n.isStyle ? '' : n.textContent;
    if (n.type === NODE_ELEMENT) {
      node.tag = String(n.tagName).toLowerCase();
      node.attributes = { ...n.attributes };
      node.style = parseStyle(n.attributes && n.attributes.style);
    }
    nodes.set(n.id, node);
    if (up) up.children.add(node);
    node.shown = shows(node);
    if (node.shown) pushOwn(node, push);
    const children = n.childNodes || [];
    for (let i = children.length - 1; i >= 0; i--) stack.push([children[i], node]);
  }
}

function detach(nodes, node) {
  if (!node) return;
  if (node.parent) node.parent.children.delete(node);
  const stack = [node];
  while (stack.length) {
    const n = stack.pop();
    nodes.delete(n.id);
    for (const child of n.children) stack.push(child);
  }
}

function changeAttributes(node, changed, push) {
  if (!node || !node.attributes) {
    if (isShown(node)) pushAttributes(changed, push);
    return;
  }
  const { style, ...rest } = changed || {};
  Object.assign(node.attributes, rest);
  // rrweb sends a style change as the new attribute, or as the properties that changed (false: removed).
  if (typeof style === 'string' || style === null) node.style = parseStyle(style);
  else if (style && typeof style === 'object') {
    for (const [name, value] of Object.entries(style)) {
      if (value === false) delete node.style[name];
      else node.style[name] = String(Array.isArray(value) ? value[0] : value).trim().toLowerCase();
    }
  }
  if (node.shown) pushAttributes(rest, push);
  // Only a change that may hide or show something walks the subtree.
  if (['hidden', 'style', 'open', 'type'].some((name) => name in (changed || {}))) refresh(node, push);
}

/** Recomputes whether `node` and what it holds show; lists what a change showed. */
function refresh(node, push) {
  const stack = [node];
  while (stack.length) {
    const n = stack.pop();
    const shown = shows(n);
    // A <details> opening or closing changes its children, not itself.
    if (shown === n.shown && !(n === node && n.tag === 'details')) continue;
    if (shown && !n.shown) pushOwn(n, push);
    n.shown = shown;
    // Reversed onto the stack: the text is listed in the page's order.
    const children = [...n.children];
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
}

/** Whether a node shows, its parent's state being known. */
function shows(node) {
  const up = node.parent;
  if (up && !up.shown) return false;
  if (up && up.tag === 'details' && !has(up.attributes.open) && node.tag !== 'summary') return false;
  if (node.type !== NODE_ELEMENT) return true;
  const a = node.attributes;
  if (SKIP_ELEMENTS.has(node.tag) || has(a.hidden)) return false;
  if (node.tag === 'dialog' && !has(a.open)) return false;
  if (node.tag === 'input' && String(a.type).toLowerCase() === 'hidden') return false;
  const { display, visibility } = node.style;
  return display !== 'none' && visibility !== 'hidden' && visibility !== 'collapse';
}

/** An inline style's declarations, {name: value}, lower case and without `!important`. */
function parseStyle(text) {
  const style = {};
  for (const declaration of typeof text === 'string' ? text.split(';') : []) {
    const colon = declaration.indexOf(':');
    if (colon < 0) continue;
    const name = declaration.slice(0, colon).trim().toLowerCase();
    style[name] = declaration.slice(colon + 1).replace(/!\s*important/i, '').trim().toLowerCase();
  }
  return style;
}

const has = (value) => value !== undefined && value !== null && value !== false;

function pushOwn(node, push) {
  if (node.type === NODE_TEXT && node.text) push(node.text);
  else if (node.attributes) pushAttributes(node.attributes, push);
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
