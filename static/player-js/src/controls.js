// The control bar (play/pause, time, speed, skip inactivity, link to this
// moment), the page-wide keyboard shortcuts and the ?t= deep link.
import { h } from './dom.js';
import { formatClock } from './format.js';
import { SPEEDS } from './controller.js';

const ARROW_STEP_MS = 5000;

export function createControls(ctl, { announce }) {
  const { state } = ctl;
  const playLabel = h('span', { class: 'hsp-label' }, 'Play');
  const playToggle = h(
    'button',
    // The page's skip link leads here (#hsp-play).
    { type: 'button', id: 'hsp-play', class: 'hsp-btn hsp-play', 'data-testid': 'play-toggle', 'aria-label': 'Play', onclick: () => ctl.toggle() },
    h('span', { class: 'hsp-icon', 'aria-hidden': 'true' }),
    playLabel,
  );
  const time = h('span', { class: 'hsp-time', 'data-testid': 'time', 'aria-label': 'Current time / total time' }, '0:00 / 0:00');
  const speedButtons = SPEEDS.map((speed) =>
    h(
      'button',
      {
        type: 'button',
        class: 'hsp-btn hsp-speed',
        'data-testid': `speed-${speed}`,
        'aria-label': `Speed ${speed}×`,
        'aria-pressed': 'false',
        onclick: () => ctl.setSpeed(speed),
      },
      `${speed}×`,
    ),
  );
  const skipToggle = h(
    'button',
    {
      type: 'button',
      class: 'hsp-btn hsp-skip',
      'data-testid': 'skip-toggle',
      'aria-pressed': 'true',
      onclick: () => ctl.setSkipInactive(!state.skipInactive),
    },
    h('span', { class: 'hsp-check', 'aria-hidden': 'true' }),
    'Skip inactivity',
  );
  const copyLink = h(
    'button',
    {
      type: 'button',
      class: 'hsp-btn',
      'data-testid': 'copy-link',
      // Short on the bar (which holds an hour's time on a laptop's screen in one line), whole when heard.
      'aria-label': 'Copy link to this moment',
      title: 'Copy a link that opens the replay at this moment',
      onclick: () => copyMomentLink(ctl, announce),
    },
    'Copy link',
  );

  const fullScreen = h(
    'button',
    {
      type: 'button',
      class: 'hsp-btn hsp-full',
      'data-testid': 'full-screen',
      'aria-label': 'Full screen',
      'aria-pressed': 'false',
      title: 'Full screen (F)',
      hidden: !document.fullscreenEnabled,
      onclick: () => toggleFullScreen(el),
    },
    h('span', { class: 'hsp-full-icon', 'aria-hidden': 'true' }),
  );

  const el = h(
    'div',
    { class: 'hsp-controls', role: 'toolbar', 'aria-label': 'Replay controls' },
    playToggle,
    time,
    h('div', { class: 'hsp-speeds', role: 'group', 'aria-label': 'Playback speed' }, speedButtons),
    skipToggle,
    copyLink,
    fullScreen,
  );
  document.addEventListener('fullscreenchange', () => {
    fullScreen.setAttribute('aria-pressed', String(document.fullscreenElement === playerOf(el)));
  });

  ctl.onChange(() => {
    const playing = state.playing;
    playToggle.setAttribute('aria-label', playing ? 'Pause' : 'Play');
    playToggle.dataset.state = playing ? 'playing' : 'paused';
    playLabel.textContent = playing ? 'Pause' : 'Play';
    speedButtons.forEach((b, i) => b.setAttribute('aria-pressed', String(SPEEDS[i] === state.speed)));
    skipToggle.setAttribute('aria-pressed', String(state.skipInactive));
  });
  const reserve = reserveWidth(time);
  const showTime = (t, total) => {
    reserve(total);
    const text = `${formatClock(t)} / ${formatClock(total)}`;
    if (time.textContent !== text) time.textContent = text;
  };
  // While the timeline is dragged, the moment the drag would seek to, even as the replay plays on.
  let previewing = false;
  ctl.onTick((t, total) => previewing || showTime(t, total));
  ctl.onPreview((t, total) => {
    previewing = t !== null;
    showTime(previewing ? t : ctl.currentTime(), total);
  });

  return { el };
}

/**
 * The time grew wider as the replay played (0:59 / 1:01:00, then 10:00 /, then 1:00:00 /): every control after
 * it moved under the viewer's pointer, and past the hour the bar broke onto a second line in the middle of
 * the replay. It takes at once the width of the widest time of the recording: digits are all as wide
 * (tabular-nums), so that is the total's in both places, measured again only when the total gains a digit.
 */
function reserveWidth(time) {
  let shape = '';
  return (total) => {
    const widest = formatClock(total).replace(/\d/g, '0');
    if (widest === shape || !time.isConnected) return;
    shape = widest;
    const shown = time.textContent;
    time.style.minWidth = '';
    time.textContent = `${widest} / ${widest}`;
    const width = time.getBoundingClientRect().width;
    time.textContent = shown;
    if (width) time.style.minWidth = `${Math.ceil(width)}px`;
    else shape = ''; // not laid out yet (hidden): measured at a later tick
  };
}

// Full screen takes the replay, its timeline and its controls (not the side panels) to the whole screen.
const playerOf = (controls) => controls.closest('.hsp-main');

function toggleFullScreen(controls) {
  if (document.fullscreenElement) document.exitFullscreen();
  else playerOf(controls).requestFullscreen().catch(() => {});
}

/** Space toggles, arrows step 5 s, Home and End go to the start and the end, F full screen; never while the viewer types or on a control that owns the key. */
export function bindShortcuts(ctl) {
  document.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    if (isTextField(target)) return;
    if (event.key === ' ' || event.key === 'Spacebar') {
      // A focused button activates itself with space; don't toggle on top of it.
      if (target.closest && target.closest('button, a[href], summary, [role="tab"]')) return;
      event.preventDefault();
      ctl.toggle();
    } else if (event.key === 'ArrowLeft' || event.key === 'ArrowRight') {
      if (target.closest && target.closest('[role="tablist"]')) return;
      event.preventDefault();
      ctl.seekBy(event.key === 'ArrowLeft' ? -ARROW_STEP_MS : ARROW_STEP_MS);
    } else if ((event.key === 'f' || event.key === 'F') && document.fullscreenEnabled) {
      const controls = document.querySelector('.hsp-controls');
      if (controls) toggleFullScreen(controls);
    } else if (event.key === 'Home' || event.key === 'End') {
      // A panel's list scrolls to its top or bottom with them.
      if (target.closest && target.closest('.hsp-panels')) return;
      event.preventDefault();
      ctl.seek(event.key === 'Home' ? 0 : ctl.total());
    }
  });
}

function isTextField(el) {
  if (!el || !el.tagName) return false;
  if (el.isContentEditable) return true;
  const tag = el.tagName.toLowerCase();
  if (tag === 'textarea' || tag === 'select') return true;
  if (tag !== 'input') return false;
  const nonText = ['button', 'checkbox', 'radio', 'range', 'submit', 'reset', 'color', 'file', 'image'];
  return !nonText.includes((el.type || 'text').toLowerCase());
}

/** ?t=SECONDS from the page URL, or null. */
export function deepLinkTime(href = window.location.href) {
  const raw = new URL(href).searchParams.get('t');
  if (raw === null || raw.trim() === '') return null;
  const seconds = Number(raw);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : null;
}

export function momentUrl(seconds, href = window.location.href) {
  const url = new URL(href);
  url.searchParams.set('t', String(seconds));
  return url.href;
}

async function copyMomentLink(ctl, announce) {
  // To the millisecond: a link to a moment found by search or a panel opens at it, not up to a second before.
  const url = momentUrl(Math.round(ctl.currentTime()) / 1000);
  try {
    await navigator.clipboard.writeText(url);
  } catch (e) {
    // The async clipboard needs a secure context; plain-HTTP self-hosted
    // dashboards fall back to the old copy command.
    if (!legacyCopy(url)) {
      announce(`Copy this link: ${url}`);
      return;
    }
  }
  announce('Link to this moment copied');
}

function legacyCopy(text) {
  const area = h('textarea', { readonly: true, class: 'hsp-offscreen' });
  area.value = text;
  document.body.appendChild(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch (e) {
    ok = false;
  }
  area.remove();
  return ok;
}
