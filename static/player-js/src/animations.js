// CSS animations as the visitor saw them. The replay builds an element when the
// recording says the page added it, and the element's CSS animations start
// then. A seek builds at once all that the page added before the moment, and
// while the replay is paused rrweb holds every animation where it is
// (animation-play-state: paused): an entrance animation (a toast fading in, a
// drawer sliding in, a page's content rising into view) stayed on its first
// frame, and a replay paused after it, as every seek, deep link and heatmap
// leaves it, showed nothing where the visitor saw the element. After a seek
// each animation is put where the visitor's was: begun when its element, or
// an element it is in, was last added or changed by the recording.

const FULL_SNAPSHOT = 2;
const INCREMENTAL = 3;
const MUTATION = 0;

/**
 * When (epoch ms) the page last added each node or changed its attributes before `at`, by node id, and
 * when the page's last full snapshot before `at` was taken (what it shows began no later).
 */
export function changesBefore(events, at) {
  let snapshot = 0;
  const changed = new Map();
  for (const e of events) {
    if (e.timestamp >= at) break;
    if (e.type === FULL_SNAPSHOT) {
      snapshot = e.timestamp;
      changed.clear();
    } else if (e.type === INCREMENTAL && e.data.source === MUTATION) {
      for (const add of e.data.adds || []) if (add && add.node) changed.set(add.node.id, e.timestamp);
      for (const change of e.data.attributes || []) if (change) changed.set(change.id, e.timestamp);
    }
  }
  return { snapshot, changed };
}

/** The CSS animations of `doc` and of the frames in it. */
function animationsIn(doc, found = []) {
  if (!doc || typeof doc.getAnimations !== 'function') return found;
  // (a CSS transition is left alone: it runs even while paused, and ends where the page's did)
  for (const animation of doc.getAnimations()) if ('animationName' in animation) found.push(animation);
  for (const frame of doc.querySelectorAll('iframe')) {
    try {
      animationsIn(frame.contentDocument, found);
    } catch (e) {
      /* a frame out of reach */
    }
  }
  return found;
}

/** Puts each CSS animation of the replayed page where the visitor's was at `at` (epoch ms). */
export function animationsAt(replayer, at) {
  const animations = animationsIn(replayer.iframe.contentDocument);
  if (!animations.length) return; // (most pages: no walk through the recording on every seek)
  const { snapshot, changed } = changesBefore(replayer.service.state.context.events, at);
  const mirror = replayer.getMirror();
  for (const animation of animations) {
    let begun = snapshot;
    for (let n = animation.effect && animation.effect.target; n; n = n.parentNode || n.host) {
      const t = changed.get(mirror.getId(n));
      if (t > begun) begun = t;
    }
    try {
      animation.currentTime = Math.max(0, at - begun);
    } catch (e) {
      /* an animation the browser has just cancelled */
    }
  }
}
