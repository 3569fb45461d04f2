// The player's fixed skeleton. Parts that need a replayer (timeline,
// controls) are slotted in once one exists.
import { h, setChildren } from './dom.js';

// The stage never gets smaller than this, whatever the window: below it the page scrolls instead.
const STAGE_MIN_PX = 200;
// Room kept under the controls, so that they do not touch the window's edge.
const BOTTOM_GAP_PX = 16;

export function buildLayout(root) {
  const liveBadge = h(
    'button',
    { type: 'button', class: 'hsp-live', 'data-testid': 'live-badge', hidden: true, title: 'Jump to the newest moment and follow it' },
    h('span', { class: 'hsp-live-dot', 'aria-hidden': 'true' }),
    'Live',
  );
  const currentUrl = h('span', { class: 'hsp-url', 'data-testid': 'current-url', title: 'Page at this moment' });
  const viewportSize = h('span', { class: 'hsp-viewport', 'data-testid': 'viewport-size', title: "Visitor's viewport" });
  const mount = h('div', { class: 'hsp-mount' });
  const skipNote = h('div', { class: 'hsp-skip-note', 'data-testid': 'skip-note', role: 'status', hidden: true }, 'Skipping inactivity…');
  const messageText = h('p', { class: 'hsp-message-text' });
  const messageAction = h('div', { class: 'hsp-message-action' });
  const message = h('div', { class: 'hsp-message', 'data-testid': 'player-message', hidden: true }, messageText, messageAction);
  // Said over the stage, briefly, so that it takes no height from the player.
  const announcer = h('p', { class: 'hsp-announce', role: 'status', 'aria-live': 'polite' });
  const stage = h('div', { class: 'hsp-stage', 'data-testid': 'stage' }, mount, skipNote, message, announcer);
  const timelineSlot = h('div', { class: 'hsp-timeline-slot' });
  const controlsSlot = h('div', { class: 'hsp-controls-slot' });
  const side = h('aside', { class: 'hsp-side', 'aria-label': 'Recording details' });

  root.classList.add('hsp');
  setChildren(
    root,
    h(
      'div',
      { class: 'hsp-main' },
      h('div', { class: 'hsp-bar' }, liveBadge, h('span', { class: 'hsp-url-box' }, currentUrl), viewportSize),
      stage,
      timelineSlot,
      controlsSlot,
    ),
    side,
  );
  fitToWindow(root, stage, [timelineSlot, controlsSlot]);

  let announceTimer = null;
  return {
    root,
    stage,
    mount,
    side,
    liveBadge,
    currentUrl,
    viewportSize,
    skipNote,
    timelineSlot,
    controlsSlot,
    /** A full-stage message for loading, empty and failed states (null hides it). */
    showMessage(text, { state = 'info', action = null } = {}) {
      message.hidden = text === null;
      message.dataset.state = state;
      messageText.textContent = text || '';
      setChildren(messageAction, action);
    },
    /** Says something to screen readers and shows it briefly. */
    announce(text) {
      announcer.textContent = text;
      clearTimeout(announceTimer);
      announceTimer = setTimeout(() => {
        announcer.textContent = '';
      }, 6000);
    },
  };
}

/**
 * Keeps the player within the window: the stage may be as tall as what is
 * left once the page above it and the timeline and controls under it are
 * counted (--hsp-stage-max), and the side panels as tall as the player
 * (--hsp-fit). stage.js then scales the recorded viewport into the stage, so
 * a tall phone recording shrinks to fit rather than pushing the controls
 * out of sight. Measured again whenever the window or any of these resize.
 */
function fitToWindow(root, stage, below) {
  let queued = false;
  const measure = () => {
    queued = false;
    // Distances from the top of the page, so that a scrolled page measures the same.
    const top = (el) => el.getBoundingClientRect().top + window.scrollY;
    const under = below.reduce((sum, el) => sum + el.getBoundingClientRect().height, 0);
    const bottom = window.innerHeight - BOTTOM_GAP_PX;
    root.style.setProperty('--hsp-stage-max', `${Math.max(STAGE_MIN_PX, Math.floor(bottom - top(stage) - under))}px`);
    root.style.setProperty('--hsp-fit', `${Math.max(STAGE_MIN_PX, Math.floor(bottom - top(root)))}px`);
  };
  const later = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(measure);
  };
  const observer = new ResizeObserver(later);
  for (const el of below) observer.observe(el);
  // What sits above the player (the page's head) can wrap onto more lines as the window narrows.
  if (root.parentElement) observer.observe(root.parentElement);
  window.addEventListener('resize', later);
  measure();
}
