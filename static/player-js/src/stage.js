// Mounts rrweb's Replayer in the stage, proves that recorded content cannot
// run scripts, and scales the visitor's viewport to fit the stage.
import { Replayer, adaptCssForReplay } from '@rrweb/replay';
import { followFocus } from './focus.js';
import { followRoots } from './roots.js';
import { MARKS, marksKept } from './marks.js';
import { POPOVER_OPEN, popoversSync } from './popover.js';
import { selectsReplayed } from './selects.js';
import { statesReplayed } from './states.js';
import { followTarget } from './target.js';

selectsReplayed(Replayer);
statesReplayed(Replayer, adaptCssForReplay);

export class SandboxError extends Error {}

/**
 * The replay iframe must be sandboxed, and never with allow-scripts: the
 * iframe also has allow-same-origin (rrweb needs to reach into it), and the
 * two together would let recorded content run code as the dashboard.
 */
export function assertSandboxed(iframe) {
  if (!iframe || iframe.tagName !== 'IFRAME') throw new SandboxError('The replay frame is missing.');
  if (!iframe.hasAttribute('sandbox')) throw new SandboxError('The replay frame is not sandboxed.');
  if (iframe.sandbox.contains('allow-scripts')) {
    throw new SandboxError('The replay frame would allow scripts.');
  }
}

/**
 * A seek applies the changes before its moment to rrweb's virtual DOM, which
 * keeps an element's style as a map of the names written in its style
 * attribute: removing `animation-name` from `animation: none`, or
 * `margin-right` from `margin: 4px`, did nothing there, and the seek landed on
 * a style the page never had (a Radix popover, on Dash, kept `animation:
 * none`). A live replay applies the same change to a real element. So the
 * virtual DOM's style changes go through a detached real element too: the
 * browser's own rules for shorthands, on every replayer of the page.
 */
export function exactVirtualStyles(replayer) {
  const vdom = replayer.virtualDom;
  let proto = vdom && Object.getPrototypeOf(vdom.createElement('span'));
  while (proto && !Object.getOwnPropertyDescriptor(proto, 'style')) proto = Object.getPrototypeOf(proto);
  if (!proto || proto.hspExactStyle) return;
  const parsed = Object.getOwnPropertyDescriptor(proto, 'style').get;
  const scratch = document.createElement('span');
  const exact = (el, method) => (...args) => {
    scratch.setAttribute('style', el.attributes.style || '');
    const result = scratch.style[method](...args);
    el.attributes.style = scratch.getAttribute('style');
    return result;
  };
  Object.defineProperty(proto, 'style', {
    configurable: true,
    get() {
      const style = parsed.call(this);
      style.setProperty = exact(this, 'setProperty');
      style.removeProperty = exact(this, 'removeProperty');
      return style;
    },
  });
  proto.hspExactStyle = true;
}

/**
 * A frame without scripts lays a <canvas> out as its fallback content, an inline box of no size: a chart
 * sized by its width and height attributes vanished from the replay and all that followed it moved up (left
 * and up on its line). Its recorded pixels are not replayed (that needs scripts), but it keeps the box the
 * page gave it (a canvas's attributes are its size and its shape when CSS gives it only a width).
 * In a layer of its own, so that any size or display the page's CSS gives a canvas wins.
 */
const CANVAS_BOX = '@layer hindsight-replay { canvas { display: inline-block; width: attr(width px, 300px); ' +
  'aspect-ratio: attr(width type(<number>), 300) / attr(height type(<number>), 150); } }';

/**
 * A browser shows a video's own controls where scripts cannot run, as in the replay's frame, even without
 * its controls attribute: a page's background or hero video, which the visitor saw playing bare, replayed
 * behind a play button, a time and a seek bar that were never on the page. Only a video the page gave
 * controls shows them.
 */
const MEDIA_CONTROLS = '@layer hindsight-replay { video:not([controls])::-webkit-media-controls { display: none; } }';

/**
 * A page that scrolls smoothly (`scroll-behavior: smooth`, as Bootstrap's pages do) made every seek glide to
 * its place from wherever the replay was: rrweb scrolls a seek with the browser's default behavior, which
 * the page's CSS makes smooth, so a replay paused at a moment showed, for some frames, the page scrolled
 * where it was at another. A scroll the visitor saw glide is in the recording frame by frame; rrweb's own
 * smooth scrolling while it plays is asked for by name, which this leaves alone.
 */
const INSTANT_SCROLL = '@layer hindsight-replay { * { scroll-behavior: auto !important; } }';

/** Creates the replayer in `mount`; throws SandboxError (after tearing it down) if unsafe. */
export function createReplayer(events, mount, { skipInactive, speed }) {
  const replayer = new Replayer(events, {
    root: mount,
    insertStyleRules: [CANVAS_BOX, MEDIA_CONTROLS, INSTANT_SCROLL],
    skipInactive,
    speed,
    // rrweb's own option for scripted canvas replay adds allow-scripts; never.
    UNSAFE_replayCanvas: false,
    // Focusing recorded inputs would pull keyboard focus into the frame and
    // away from the player's shortcuts.
    triggerFocus: false,
    showWarning: false,
    mouseTail: { strokeStyle: 'rgba(26, 115, 232, 0.6)', lineWidth: 2, duration: 500 },
  });
  try {
    assertSandboxed(replayer.iframe);
  } catch (e) {
    destroyQuietly(replayer);
    throw e;
  }
  guardSandbox(replayer);
  exactVirtualStyles(replayer);
  // The marks' states and the popovers, from one pass over the document and its shadow roots at each change.
  const marks = marksKept();
  replayer.hspMarks = followRoots(replayer, [...MARKS, POPOVER_OPEN], (doc, roots) => {
    popoversSync(doc, roots);
    marks(doc, roots);
  });
  replayer.hspFocus = followFocus(replayer);
  replayer.hspTarget = followTarget(replayer);
  // The replay is a picture of a page, not a page: keep keyboard focus and
  // assistive tech out of the recorded links and fields.
  replayer.wrapper.inert = true;
  return replayer;
}

/**
 * A sandbox is fixed when the frame's document is created, so loosening the
 * attribute later would only take effect on the next navigation; tear the
 * replay down at once if anything tries.
 */
function guardSandbox(replayer) {
  const observer = new MutationObserver(() => {
    try {
      assertSandboxed(replayer.iframe);
    } catch (e) {
      observer.disconnect();
      destroyQuietly(replayer);
      replayer.iframe.remove();
    }
  });
  observer.observe(replayer.iframe, { attributes: true, attributeFilter: ['sandbox'] });
}

/** Tears a replayer down (its frame and listeners) when another takes its place. */
export function destroyReplayer(replayer) {
  destroyQuietly(replayer);
}

function destroyQuietly(replayer) {
  try {
    replayer.destroy();
  } catch (e) {
    /* already gone */
  }
}

/**
 * Keeps the replay scaled to fit `stage`, centred, whatever the stage's size
 * and the recorded viewport. Returns fit(width, height) for viewport changes.
 */
export function fitToStage(stage, wrapper) {
  let size = null;
  const apply = () => {
    if (!size) return;
    // Inside the stage's borders: the replay is clipped to them.
    const box = { width: stage.clientWidth, height: stage.clientHeight };
    if (!box.width || !box.height) return;
    const scale = Math.min(box.width / size.width, box.height / size.height);
    const x = (box.width - size.width * scale) / 2;
    const y = (box.height - size.height * scale) / 2;
    wrapper.style.transform = `translate(${x}px, ${y}px) scale(${scale})`;
    wrapper.dataset.scale = scale.toFixed(3);
  };
  new ResizeObserver(apply).observe(stage);
  return (width, height) => {
    if (!(width > 0 && height > 0)) return;
    size = { width, height };
    // The stage takes the recorded aspect ratio, within the height CSS allows.
    stage.style.aspectRatio = `${width} / ${height}`;
    apply();
  };
}
