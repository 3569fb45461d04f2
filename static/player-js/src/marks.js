// States of the visitor's page that no attribute or stylesheet carries, which the recorder writes as
// attributes of ours on the recorded node only (docs/protocol.md): rrweb replays and seeks them as any
// other attribute; this gives each replayed element the state its attribute says.
//
// `data-hindsight-fill`: what a page's Web Animations hold at their end (element.animate() with fill
// `forwards` or `both`: a menu faded in, a panel slid in), as declarations. They are held with a finished
// animation of our own (above the element's own style, below its !important), as the page's were.
// `data-hindsight-indeterminate`: a checkbox a script shows as partly checked (a list's "select all").
// `disabled` on a <style> or <link>: a stylesheet turned off (a theme the visitor left). The recorder
// writes it for a sheet a script turned off; rrweb rebuilds a <link> whose CSS it recorded as a <style>,
// on which the page's own `disabled` attribute does nothing.

import { queryAllDeep } from './roots.js';

export const FILL = 'data-hindsight-fill';
export const INDETERMINATE = 'data-hindsight-indeterminate';

const property = (name) => (name === 'float' ? 'cssFloat' : name.startsWith('--') ? name : name.replace(/-([a-z])/g, (_, c) => c.toUpperCase()));

/** The declarations `text` holds, as a keyframe (longhands, camel-cased). */
export function keyframeOf(text) {
  const style = document.createElement('span').style;
  style.cssText = text;
  const frame = {};
  for (let i = 0; i < style.length; i++) frame[property(style[i])] = style.getPropertyValue(style[i]);
  return frame;
}

/** Each mark's state given to an element: what undoes it. */
const APPLY = {
  [FILL]: (el, text) => {
    const animation = el.animate([keyframeOf(text)], { duration: 0, fill: 'forwards' });
    return () => animation.cancel();
  },
  [INDETERMINATE]: (el) => {
    el.indeterminate = true;
    return () => (el.indeterminate = false);
  },
  disabled: (el) => {
    const sheet = el.sheet; // (a field's `disabled` is rrweb's business: it has no sheet)
    if (sheet) sheet.disabled = true;
    return () => sheet && (sheet.disabled = false);
  },
};

/** The attributes of ours this gives states for. */
export const MARKS = Object.keys(APPLY);

/**
 * What keeps the replay's elements in the states their marks say (in shadow roots too): a sync of the document
 * and its shadow roots (roots.js followRoots runs it through live play, seeks and rebuilds).
 */
export function marksKept() {
  const given = new Map(); // element -> [mark, its value, undo]
  return (doc, roots) => {
    for (const [el, [name, value, undo]] of given) {
      if (el.isConnected && el.getAttribute(name) === value) continue;
      undo();
      given.delete(el);
    }
    // (a component's shadow root, which the document's observer and queries do not reach into)
    for (const name in APPLY) {
      for (const el of queryAllDeep(doc, `[${name}]`, roots)) {
        if (given.has(el)) continue;
        try {
          const value = el.getAttribute(name);
          given.set(el, [name, value, APPLY[name](el, value)]);
        } catch (e) {
          /* an element that cannot take it (an SVG element has no animate() in every browser) */
        }
      }
    }
  };
}
