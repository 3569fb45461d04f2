// Mounts rrweb's Replayer in the stage, proves that recorded content cannot
// run scripts, and scales the visitor's viewport to fit the stage.
import { Replayer } from '@rrweb/replay';

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

/** Creates the replayer in `mount`; throws SandboxError (after tearing it down) if unsafe. */
export function createReplayer(events, mount, { skipInactive, speed }) {
  const replayer = new Replayer(events, {
    root: mount,
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
