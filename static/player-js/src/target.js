// The fragment's target as the visitor saw it. A page's :target rules (a
// CSS-only modal or lightbox opened by a link to #id, a tab shown by its
// link, the footnote a reader jumped to) match the element that the
// address's fragment names, and the replay's frame has no such address: they
// never matched there. The player's build (build.mjs) makes the replayed
// stylesheets' :target rules match a class too, which this puts on the
// element the visitor's address named. As in the browser, the target is set
// by a page load and by a fragment navigation (a link to #id, location.hash,
// back and forward within the page), not by pushState or replaceState.

import { foldBefore, follow } from './follow.js';

const TARGET = ':target';
const META = 4;
const CUSTOM = 5;
const FULL_SNAPSHOT = 2;
const MUTATION = 0;

/** The element id an address's fragment names, or null. */
function fragmentOf(url) {
  const at = typeof url === 'string' ? url.indexOf('#') : -1;
  const fragment = at < 0 ? '' : url.slice(at + 1);
  try {
    return decodeURIComponent(fragment) || null;
  } catch (e) {
    return fragment || null;
  }
}

/** The target's id after event `e`, given `id` before it. */
export function targetAfter(id, e) {
  if (e.type === META) return fragmentOf(e.data && e.data.href);
  const payload = e.type === CUSTOM && e.data && e.data.tag === 'hs.page' ? e.data.payload : null;
  return payload && payload.kind === 'hash' ? fragmentOf(payload.url) : id;
}

/** The id the target had just before `at` (epoch ms), or null. */
export function targetAt(events, at) {
  return foldBefore(events, at, targetAfter);
}

function mark(replayer, id) {
  const doc = replayer.iframe.contentDocument;
  if (!doc) return;
  const el = id === null ? null : doc.getElementById(id);
  for (const old of doc.querySelectorAll('.\\:target')) if (old !== el) old.classList.remove(TARGET);
  if (el && !el.classList.contains(TARGET)) el.classList.add(TARGET);
}

/** Keeps the target's class in step with the recording; returns seek(at) for after a seek. */
export function followTarget(replayer) {
  // A new page, or a change of the page (the target added later, or its class rewritten), needs it again.
  const again = (e) => e.type === FULL_SNAPSHOT || (e.type === 3 && e.data.source === MUTATION);
  return follow(replayer, targetAfter, (id) => mark(replayer, id), again);
}
