// The seek bar: progress, click or drag to seek, keyboard steps, and the
// coloured ticks for page views, clicks, errors, failed requests and tags.
import { h, setChildren } from './dom.js';
import { formatClock } from './format.js';

const KEY_STEP_MS = 5000;

export function createTimeline(ctl) {
  const fill = h('div', { class: 'hsp-seek-fill' });
  const thumb = h('div', { class: 'hsp-seek-thumb' });
  const seek = h(
    'div',
    {
      class: 'hsp-seek',
      role: 'slider',
      tabindex: '0',
      'aria-label': 'Seek',
      'aria-valuemin': '0',
      'data-testid': 'seek',
    },
    h('div', { class: 'hsp-seek-track' }, fill),
    thumb,
  );
  const markers = h('div', { class: 'hsp-markers', role: 'group', 'aria-label': 'Events on the timeline' });
  const legend = h(
    'ul',
    { class: 'hsp-legend', 'aria-label': 'Marker colours' },
    [
      ['page', 'Page view'],
      ['click', 'Click'],
      ['error', 'Error'],
      ['network', 'Failed request'],
      ['tag', 'Tag'],
      ['frustration', 'Frustration'],
    ].map(([kind, label]) => h('li', null, h('span', { class: `hsp-dot hsp-marker-${kind}`, 'aria-hidden': 'true' }), label)),
  );
  const el = h('div', { class: 'hsp-timeline' }, markers, seek, legend);

  let dragging = null; // the time under the pointer while dragging

  function show(time, total) {
    const ratio = total > 0 ? Math.min(1, Math.max(0, time / total)) : 0;
    const pct = `${(ratio * 100).toFixed(3)}%`;
    fill.style.width = pct;
    thumb.style.left = pct;
    seek.setAttribute('aria-valuemax', String(Math.round(total / 1000)));
    seek.setAttribute('aria-valuenow', String(Math.round(time / 1000)));
    seek.setAttribute('aria-valuetext', `${formatClock(time)} of ${formatClock(total)}`);
  }

  function timeAt(clientX) {
    const box = seek.getBoundingClientRect();
    const ratio = box.width ? (clientX - box.left) / box.width : 0;
    return Math.min(1, Math.max(0, ratio)) * ctl.total();
  }

  // Seek once on release: rebuilding the page at every pointer move would be
  // slow on long sessions, so the drag only moves the bar and the time shown.
  function drag(event) {
    dragging = timeAt(event.clientX);
    show(dragging, ctl.total());
    ctl.preview(dragging);
  }
  seek.addEventListener('pointerdown', (event) => {
    if (event.button !== 0) return;
    seek.setPointerCapture(event.pointerId);
    drag(event);
    seek.focus();
    event.preventDefault();
  });
  seek.addEventListener('pointermove', (event) => {
    if (dragging !== null) drag(event);
  });
  const release = (event) => {
    if (dragging === null) return;
    dragging = null;
    ctl.preview(null);
    // A cancelled drag seeks nowhere: the bar goes back to the moment shown.
    if (event.type === 'pointercancel') show(ctl.currentTime(), ctl.total());
    else ctl.seek(timeAt(event.clientX));
  };
  seek.addEventListener('pointerup', release);
  seek.addEventListener('pointercancel', release);

  seek.addEventListener('keydown', (event) => {
    const steps = {
      ArrowLeft: -KEY_STEP_MS,
      ArrowDown: -KEY_STEP_MS,
      ArrowRight: KEY_STEP_MS,
      ArrowUp: KEY_STEP_MS,
      PageDown: -6 * KEY_STEP_MS,
      PageUp: 6 * KEY_STEP_MS,
    };
    if (event.key in steps) ctl.seekBy(steps[event.key]);
    else if (event.key === 'Home') ctl.seek(0);
    else if (event.key === 'End') ctl.seek(ctl.total());
    else return;
    // Handled here; the page-wide arrow shortcuts must not step again.
    event.preventDefault();
    event.stopPropagation();
  });

  ctl.onTick((time, total) => {
    if (dragging === null) show(time, total);
  });

  /** Draws the ticks; called again when live events extend the recording. */
  function setMarkers(list) {
    const total = ctl.total();
    setChildren(
      markers,
      list.map((m, i) => {
        const tick = h('button', {
          type: 'button',
          class: `hsp-marker hsp-marker-${m.kind}`,
          title: `${formatClock(m.time)} ${m.label}`,
          'aria-label': `${m.label} at ${formatClock(m.time)}`,
          'data-testid': 'marker',
          'data-kind': m.kind,
          'data-signal': m.signal,
          'data-time': String(m.time),
          // One tab stop for the whole group; arrows move within it.
          tabindex: i === 0 ? '0' : '-1',
          onclick: () => ctl.seek(m.time),
        });
        // Through the CSSOM, not a style attribute, so a strict CSP allows it.
        tick.style.left = `${total > 0 ? ((m.time / total) * 100).toFixed(3) : 0}%`;
        return tick;
      }),
    );
  }

  // Roving focus: a long session has hundreds of ticks, which must not all
  // stand between a keyboard user and the play button.
  markers.addEventListener('keydown', (event) => {
    const step = { ArrowLeft: -1, ArrowRight: 1 }[event.key];
    if (!step) return;
    const all = [...markers.querySelectorAll('.hsp-marker')];
    const at = all.indexOf(document.activeElement);
    const next = all[Math.min(all.length - 1, Math.max(0, at + step))];
    if (next) {
      all.forEach((b) => (b.tabIndex = b === next ? 0 : -1));
      next.focus();
    }
    // Handled here; the page-wide arrow shortcuts must not seek as well.
    event.preventDefault();
    event.stopPropagation();
  });

  return { el, setMarkers };
}

export const SIGNAL_LABELS = { rage: 'Rage click', dead: 'Dead click', error: 'Error click', quick_back: 'Quick back' };

/** The session's frustration signals (from the server) as timeline markers, with their own colour. */
export function signalMarkers(session, startTime) {
  const signals = (session && session.signals) || [];
  return signals.map((s) => ({
    time: Math.max(0, s.ts - startTime),
    kind: 'frustration',
    signal: s.kind,
    label: `${SIGNAL_LABELS[s.kind] || s.kind}${s.selector ? ` on ${s.selector}` : ''}`,
  }));
}
