// The player's fixed skeleton. Parts that need a replayer (timeline,
// controls) are slotted in once one exists.
import { h, setChildren } from './dom.js';

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
  const stage = h('div', { class: 'hsp-stage', 'data-testid': 'stage' }, mount, skipNote, message);
  const timelineSlot = h('div', { class: 'hsp-timeline-slot' });
  const controlsSlot = h('div', { class: 'hsp-controls-slot' });
  const announcer = h('p', { class: 'hsp-announce', role: 'status', 'aria-live': 'polite' });
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
      announcer,
    ),
    side,
  );

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
