// Focus as the visitor saw it. rrweb records focus and blur (as mouse
// interactions), and its replayer would move real focus into the replayed
// page, pulling the viewer's keyboard away from the player (triggerFocus
// stays off). Instead the focused element, and each element around it, get
// classes that stand for the pseudo-classes; the player's build (build.mjs)
// makes the replayed stylesheets' :focus, :focus-within and :focus-visible
// rules match those classes too, as rrweb does for :hover. A search box that
// widens while in use, a field's focus ring, a menu shown on :focus-within:
// each replays as the visitor saw it.

import { foldBefore, follow } from './follow.js';
import { queryAllDeep } from './roots.js';

const FOCUS = ':focus';
const WITHIN = ':focus-within';
const VISIBLE = ':focus-visible';
// Where a browser shows :focus-visible whatever focused it (elsewhere, only after the keyboard did).
const TYPED_INTO = /^(INPUT|TEXTAREA|SELECT)$/;
const MOUSE_INTERACTION = 2;
const FOCUSED = 5;
const BLURRED = 6;

/** The id of the node that had focus just before `at` (epoch ms), or null. */
export function focusedAt(events, at) {
  return foldBefore(events, at, focusAfter);
}

/** The focused node's id after event `e`, given `id` before it. */
export function focusAfter(id, e) {
  if (e.type === 2) return null; // a new page: nothing focused yet
  if (e.type !== 3 || e.data.source !== MOUSE_INTERACTION) return id;
  if (e.data.type === FOCUSED) return e.data.id;
  if (e.data.type === BLURRED && e.data.id === id) return null;
  return id;
}

/**
 * Marks `node` (or nothing) as focused in `doc`, and every element it is in as :focus-within, also
 * across shadow roots; unmarks what `marked` (what an earlier call returned) or the document holds (its
 * shadow roots too) but no longer should. Returns what it marked.
 */
export function showFocus(doc, node, marked = []) {
  if (!doc) return [];
  const chain = [];
  for (let n = node && node.nodeType === 1 ? node : null; n; n = n.parentNode || n.host) {
    if (n.nodeType === 1) chain.push(n);
  }
  const names = (el) => {
    if (!chain.includes(el)) return [];
    if (el !== node) return [WITHIN];
    return TYPED_INTO.test(el.tagName) || el.isContentEditable ? [FOCUS, WITHIN, VISIBLE] : [FOCUS, WITHIN];
  };
  const all = [FOCUS, WITHIN, VISIBLE];
  // (what `marked` misses too: a seek's rebuild can carry our classes onto the new elements)
  for (const el of new Set([...marked, ...queryAllDeep(doc, all.map((name) => '.\\' + name).join(','))])) {
    const keep = names(el);
    for (const name of all) if (!keep.includes(name) && el.classList.contains(name)) el.classList.remove(name);
  }
  for (const el of chain) {
    for (const name of names(el)) if (!el.classList.contains(name)) el.classList.add(name);
  }
  return chain;
}

// What each replayer's frame holds marked.
const marks = new WeakMap();

function mark(replayer, id) {
  const node = id === null ? null : replayer.getMirror().getNode(id);
  marks.set(replayer, showFocus(replayer.iframe.contentDocument, node, marks.get(replayer)));
  focusTakenBack(replayer);
}

/**
 * Takes back real focus that the replayed page took. rrweb replays a modal dialog with showModal(), which
 * focuses it, and in a shadow root the wrapper's `inert` does not keep it out: the viewer's keyboard went
 * into the replay's frame (away from the player's shortcuts) and the dialog kept its focus there, with its
 * focus ring, after it closed. The classes above show the focus the recording says.
 */
function focusTakenBack(replayer) {
  const frame = replayer.iframe;
  const doc = frame.contentDocument;
  let a = doc && doc.activeElement;
  while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
  if (a && a !== doc.body && a.blur) a.blur();
  if (frame.ownerDocument.activeElement === frame) frame.blur();
}

const changesPage = (e) => e.type === 3 && e.data.source === 0;

/** Keeps the focus classes in step with the recording; returns seek(at) for after a seek. */
export function followFocus(replayer) {
  // (a snapshot or a change may open a modal dialog)
  replayer.on('event-cast', (e) => (e.type === 2 || changesPage(e)) && focusTakenBack(replayer));
  // A page's change of the focused element's class would take ours away with it.
  return follow(replayer, focusAfter, (id) => mark(replayer, id), changesPage);
}

/** The focus at `at` (epoch ms) shown on any replayer's frame, as the player shows it: for a test's own Replayer. */
export function showFocusAt(replayer, at) {
  mark(replayer, focusedAt(replayer.service.state.context.events, at));
}
