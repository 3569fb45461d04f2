// A recorded page's inline event handlers (onsubmit, onerror, onchange...) are attributes like any other, and
// the replay's frame, which runs no script, logged "Blocked script execution" in the dashboard's console for
// each one rrweb wrote into it, at every seek and rebuild: a page full of them filled the console with
// errors. rrweb itself writes a few of them (onclick, onload, onmouse*) under another name, `_onclick`; this
// does the same for every one, in the events, before any replayer (the player's, the heatmap's) sees them.
// Handlers draw nothing, so the replay shows the same page.
//
// So does `crossorigin` (an image, a video, a stylesheet loaded with CORS): the site's server allowed the
// page's origin, which the replay's frame (the dashboard's origin) is not, so the replay showed the image
// broken. Without it the frame loads the file as a plain image or sheet does, and shows it the same (the
// frame runs no script that could read it); `integrity` goes with it, which only a CORS request can check.

const EVENT_FULL_SNAPSHOT = 2;
const EVENT_INCREMENTAL = 3;
const SOURCE_MUTATION = 0;
// What goes out of the frame's way: a handler (its name is `on` and letters: onclick, onbeforeinput; `one-time`
// or `on` alone is not one), `crossorigin` and `integrity`.
const OUT_OF_WAY = /^(on[a-z]+|crossorigin|integrity)$/i;

/** `attributes` with each such name (OUT_OF_WAY) behind an underscore (in place). */
function renamed(attributes) {
  if (!attributes || typeof attributes !== 'object') return;
  for (const name of Object.keys(attributes)) {
    if (!OUT_OF_WAY.test(name)) continue;
    attributes[`_${name}`] = attributes[name];
    delete attributes[name];
  }
}

/** Every node of a serialized tree (no recursion: DOMs run deep). */
function nodesRenamed(root) {
  const stack = [root];
  while (stack.length) {
    const node = stack.pop();
    if (!node || typeof node !== 'object') continue;
    renamed(node.attributes);
    if (Array.isArray(node.childNodes)) for (const child of node.childNodes) stack.push(child);
  }
}

/** The events with the recorded page's inline handlers out of the frame's way (in place; returns them). */
export function handlersInert(events) {
  for (const e of events) {
    if (e.type === EVENT_FULL_SNAPSHOT) nodesRenamed(e.data.node);
    else if (e.type === EVENT_INCREMENTAL && e.data.source === SOURCE_MUTATION) {
      for (const add of Array.isArray(e.data.adds) ? e.data.adds : []) nodesRenamed(add && add.node);
      for (const change of Array.isArray(e.data.attributes) ? e.data.attributes : []) renamed(change && change.attributes);
    }
  }
  return events;
}
