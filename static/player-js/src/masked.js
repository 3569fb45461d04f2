// Recorded input values are masked with one * per character, but some fields
// cannot hold a *, and the replay would show a field nobody filled in:
// - an <input type=number> (or date, time, color, range...): the browser
//   empties it. Such inputs replay as text fields, so the mask stays visible.
// - a <select>: setting its value to "***" selects nothing, and it shows
//   blank (or its first option, where the recording masked which one was
//   chosen). Each select gets hidden options of its own, one per length a
//   masked value of it can have (its options' values' lengths), holding that
//   many *; the masked value then selects one, and the select shows the mask.

const VALUELESS = new Set(['number', 'date', 'datetime-local', 'month', 'week', 'time', 'color', 'range']);
const NODE_ELEMENT = 2;
const NODE_TEXT = 3;
const EVENT_FULL_SNAPSHOT = 2;
const EVENT_INCREMENTAL = 3;
const SOURCE_MUTATION = 0;
const MASKED = /^\*+$/;
// The mark of the options the player adds (bench/pagestate.js leaves them out of what it compares).
export const MASK_OPTION = 'data-hindsight-mask';
// Ids for the nodes the player adds: above any a recorder gives, below rrweb's own (negative) ones.
let nextId = 2 ** 40;

// A field of such a type that shows a value that is not masked (a slider at 90, a colour) keeps its type: the
// recorder masks a field from the start or never, so one that is empty (a date not chosen yet) may still
// be given a masked value later.
function retype(attributes) {
  const value = attributes && attributes.value;
  if (typeof attributes?.type === 'string' && VALUELESS.has(attributes.type.toLowerCase()) && (!value || MASKED.test(value))) {
    attributes.type = 'text';
  }
}

const isElement = (node, tag) => node && node.type === NODE_ELEMENT && node.tagName === tag;

const isText = (node) => node && node.type === NODE_TEXT && typeof node.textContent === 'string';

/** What an option's value is as the recorder masked it: its value attribute, else its text (`text`, by default
 * that of its child nodes), spaces collapsed. */
function optionValue(option, text = (option.childNodes || []).map((c) => (isText(c) ? c.textContent : '')).join('')) {
  const value = option.attributes && option.attributes.value;
  return typeof value === 'string' ? value : text.replace(/\s+/g, ' ').trim();
}

/** A hidden option showing `length` *, and its text. */
function maskOption(length, selected) {
  const mask = '*'.repeat(length);
  const attributes = { value: mask, hidden: '', [MASK_OPTION]: '' };
  if (selected) attributes.selected = '';
  const option = { type: NODE_ELEMENT, tagName: 'option', id: nextId++, attributes, childNodes: [] };
  return [option, { type: NODE_TEXT, id: nextId++, textContent: mask }];
}

/** Every option under `node` (in optgroups too), without recursion. */
function optionsUnder(node) {
  const found = [];
  const stack = [...(node.childNodes || [])];
  while (stack.length) {
    const child = stack.pop();
    if (isElement(child, 'option')) found.push(child);
    else if (child && Array.isArray(child.childNodes)) stack.push(...child.childNodes);
  }
  return found;
}

/**
 * The mask options a select as recorded (a new element in the replay) is given, unless its value was recorded
 * unmasked: one per length of its options' values and of its own value (that one selected). `seen`: select
 * id -> the lengths of the mask options it was given.
 */
function selectMasks(select, seen) {
  const value = select.attributes && select.attributes.value;
  if (typeof value === 'string' && value && !MASKED.test(value)) return [];
  const lengths = new Set(optionsUnder(select).map((o) => optionValue(o).length).filter((n) => n > 0));
  if (typeof value === 'string' && value) lengths.add(value.length);
  seen.set(select.id, lengths);
  return [...lengths].map((length) => maskOption(length, typeof value === 'string' && value.length === length));
}

/**
 * Rewrites, in place, every field of a serialized node tree that cannot show a mask (no recursion: DOMs run
 * deep). A snapshot's selects hold their mask options; those of a node added by a DOM change (which the
 * replayer builds without its children) are returned, as adds.
 */
function nodesRewrite(root, seen, nested) {
  const adds = [];
  const stack = [root];
  while (stack.length) {
    const node = stack.pop();
    if (!node || typeof node !== 'object') continue;
    if (isElement(node, 'input')) retype(node.attributes);
    else if (isElement(node, 'select')) {
      for (const [option, text] of selectMasks(node, seen)) {
        if (nested) {
          option.childNodes.push(text);
          (node.childNodes = Array.isArray(node.childNodes) ? node.childNodes : []).push(option);
        } else {
          adds.push({ parentId: node.id, nextId: null, node: option }, { parentId: option.id, nextId: null, node: text });
        }
      }
    }
    if (Array.isArray(node.childNodes)) for (const child of node.childNodes) stack.push(child);
  }
  return adds;
}

/** An option added to a page's select later (a list filled by script): a mask option of its length beside it,
 * unless one was given already; as adds. */
function addsMasks(adds, seen) {
  // rrweb adds each node on its own: an option's text is an add of its own too.
  const texts = new Map();
  for (const add of adds) {
    if (add && isText(add.node)) texts.set(add.parentId, (texts.get(add.parentId) || '') + add.node.textContent);
  }
  const extra = [];
  for (const add of adds) {
    if (!add || !isElement(add.node, 'option') || add.node.attributes?.[MASK_OPTION] !== undefined) continue;
    const length = optionValue(add.node, texts.get(add.node.id) || '').length;
    if (!seen.has(add.parentId)) seen.set(add.parentId, new Set());
    if (length && !seen.get(add.parentId).has(length)) {
      seen.get(add.parentId).add(length);
      const [option, text] = maskOption(length, false);
      extra.push({ parentId: add.parentId, nextId: null, node: option }, { parentId: option.id, nextId: null, node: text });
    }
  }
  return extra;
}

/** The events, with fields that cannot show a mask made to show it (in place; returns them). */
export function masksVisible(events) {
  let seen = new Map();
  for (const e of events) {
    if (e.type === EVENT_FULL_SNAPSHOT) {
      seen = new Map(); // a new page: what was given before is gone
      nodesRewrite(e.data.node, seen, true);
    } else if (e.type === EVENT_INCREMENTAL && e.data.source === SOURCE_MUTATION) {
      const adds = Array.isArray(e.data.adds) ? e.data.adds : [];
      const extra = [];
      for (const add of adds) extra.push(...nodesRewrite(add && add.node, seen, false));
      adds.push(...addsMasks(adds, seen), ...extra);
      for (const change of e.data.attributes || []) retype(change && change.attributes);
    }
  }
  return events;
}
