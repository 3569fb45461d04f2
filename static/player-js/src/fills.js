// Web Animations' end styles as the visitor saw them. An element that a page's element.animate() left
// holding the animation's end (fill `forwards` or `both`: a menu faded in, a panel slid in) has no
// attribute or stylesheet that says so: the recorder writes the held declarations as an attribute of
// ours, `data-hindsight-fill` (docs/protocol.md, "Animation fills"). rrweb replays and seeks it as any
// other attribute; this holds each element's declarations as the page's animation did, with a finished
// animation of our own (above the element's own style, below its !important).

export const FILL = 'data-hindsight-fill';

const property = (name) => (name === 'float' ? 'cssFloat' : name.startsWith('--') ? name : name.replace(/-([a-z])/g, (_, c) => c.toUpperCase()));

/** The declarations `text` holds, as a keyframe (longhands, camel-cased). */
export function keyframeOf(text) {
  const style = document.createElement('span').style;
  style.cssText = text;
  const frame = {};
  for (let i = 0; i < style.length; i++) frame[property(style[i])] = style.getPropertyValue(style[i]);
  return frame;
}

/**
 * Keeps the replay's elements holding what the recording says, through live play, seeks and rebuilds;
 * returns the sync, which a seek runs at once (the observer would only run after its task).
 */
export function followFills(replayer) {
  const held = new Map(); // element -> [the attribute's text, our animation]
  const sync = () => {
    const doc = replayer.iframe.contentDocument;
    if (!doc) return;
    for (const [el, [text, animation]] of held) {
      if (el.isConnected && el.getAttribute(FILL) === text) continue;
      animation.cancel();
      held.delete(el);
    }
    for (const el of doc.querySelectorAll(`[${FILL}]`)) {
      if (held.has(el) || typeof el.animate !== 'function') continue;
      const text = el.getAttribute(FILL);
      held.set(el, [text, el.animate([keyframeOf(text)], { duration: 0, fill: 'forwards' })]);
    }
  };
  const observer = new MutationObserver(sync);
  const watch = () => {
    const doc = replayer.iframe.contentDocument;
    if (!doc) return;
    observer.observe(doc, { subtree: true, childList: true, attributes: true, attributeFilter: [FILL] });
    sync();
  };
  watch();
  replayer.on('fullsnapshot-rebuilded', watch);
  return sync;
}
