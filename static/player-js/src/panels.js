// The panels beside the replay: pages visited, console, network and the
// session's details. List rows are buttons that jump to their moment.
import { h, setChildren } from './dom.js';
import { formatClock, formatDate, formatDuration, formatMs, formatSize, formatSource, readableUrl, shortUrl } from './format.js';
import { isListed, isPageView, recordedTags, returnOf } from './summary.js';
import { SIGNAL_LABELS } from './timeline.js';

const TABS = [
  { id: 'pages', label: 'Pages' },
  { id: 'console', label: 'Console' },
  { id: 'network', label: 'Network' },
  { id: 'frustration', label: 'Frustration' },
  { id: 'details', label: 'Details' },
];

// Recorded words (a page's title, a console message, an identity) take the direction of their own script
// (dir="auto"): in the dashboard's left-to-right lines, a Hebrew or Arabic title's closing "!" or "(2)" ended up at
// its start.
export function createPanels({ onJump }) {
  const tabButtons = {};
  const panels = {};
  const counts = {};
  const tablist = h('div', { class: 'hsp-tabs', role: 'tablist', 'aria-label': 'Session panels' });
  for (const tab of TABS) {
    counts[tab.id] = h('span', { class: 'hsp-count' });
    tabButtons[tab.id] = h(
      'button',
      {
        type: 'button',
        role: 'tab',
        id: `hsp-tab-${tab.id}`,
        class: 'hsp-tab',
        'aria-controls': `hsp-panel-${tab.id}`,
        'data-testid': `tab-${tab.id}`,
        onclick: () => select(tab.id),
      },
      tab.label,
      counts[tab.id],
    );
    tablist.appendChild(tabButtons[tab.id]);
    panels[tab.id] = h('div', {
      class: 'hsp-panel',
      role: 'tabpanel',
      id: `hsp-panel-${tab.id}`,
      'aria-labelledby': `hsp-tab-${tab.id}`,
      tabindex: '0',
      'data-testid': `panel-${tab.id}`,
    });
  }
  // Arrow keys move between tabs, as the ARIA tabs pattern expects.
  tablist.addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
    const ids = TABS.map((t) => t.id);
    const at = ids.indexOf(current);
    const next = ids[(at + (event.key === 'ArrowRight' ? 1 : ids.length - 1)) % ids.length];
    select(next);
    tabButtons[next].focus();
    // On a narrow screen the row scrolls: focusing a tab there does not bring it into view by itself.
    tabButtons[next].scrollIntoView({ block: 'nearest', inline: 'nearest' });
    event.preventDefault();
  });

  let current = 'pages';
  function select(id) {
    current = id;
    for (const tab of TABS) {
      const on = tab.id === id;
      tabButtons[tab.id].setAttribute('aria-selected', String(on));
      tabButtons[tab.id].tabIndex = on ? 0 : -1;
      panels[tab.id].hidden = !on;
    }
    const now = panels[id].querySelector('[aria-current]');
    if (now) scrollToRow(panels[id], now);
  }
  select('pages');

  const el = h('section', { class: 'hsp-panels', 'aria-label': 'Session panels' }, tablist, TABS.map((t) => panels[t.id]));

  function row(time, testid, className, label, ...content) {
    return h(
      'li',
      null,
      h(
        'button',
        { type: 'button', class: `hsp-row ${className}`, 'data-testid': testid, 'data-time': String(time), 'aria-label': label, onclick: () => onJump(time) },
        h('span', { class: 'hsp-row-time' }, formatClock(time)),
        h('span', { class: 'hsp-row-body' }, content),
      ),
    );
  }

  function list(panel, items, empty) {
    setChildren(panel, items.length ? h('ul', { class: 'hsp-list' }, items) : h('p', { class: 'hsp-empty' }, empty));
    shownAt.delete(panel);
  }

  // Each list's row of the moment shown: its last row at or before it. A long list's rows at 10:10 were
  // somewhere below its first screen, nothing telling which.
  const shownAt = new Map(); // panel -> the time its current row was marked for
  function setTime(time) {
    for (const id of LISTS) {
      const panel = panels[id];
      if (shownAt.get(panel) === time) continue;
      shownAt.set(panel, time);
      const rows = panel.querySelectorAll('.hsp-row');
      let now = null;
      for (const row of rows) if (Number(row.dataset.time) <= time) now = row;
      const was = panel.querySelector('[aria-current]');
      if (was === now) continue;
      // Follow along only in a list the viewer has not scrolled away from.
      const follow = !was || inView(panel, was);
      if (was) was.removeAttribute('aria-current');
      if (!now) continue;
      now.setAttribute('aria-current', 'true');
      if (follow && !panel.hidden) scrollToRow(panel, now);
    }
  }

  /** Re-renders the three lists from a summary (cheap enough for live updates). */
  function setSummary(summary, baseUrl) {
    const pages = summary.pages.filter(isListed).map((p) => {
      const back = returnOf(p);
      return row(p.time, 'page-entry', '', `Jump to ${back ? back.what : 'page view'} at ${formatClock(p.time)}: ${readableUrl(p.url)}`,
        back && h('span', { class: 'hsp-badge' }, back.badge),
        h('span', { class: 'hsp-row-title', dir: 'auto' }, p.title || '(no title)'),
        h('span', { class: 'hsp-row-url', title: p.url }, shortUrl(p.url, baseUrl)),
      );
    });
    list(panels.pages, pages, 'No page views recorded.');
    // (Page views, as the session's page count: a switch back to a tab is listed, not counted.)
    counts.pages.textContent = String(summary.pages.filter(isPageView).length);

    const entries = summary.console.map((e) =>
      row(e.time, 'console-entry', `hsp-level-${e.level}`, `Jump to ${e.level} at ${formatClock(e.time)}: ${e.message}`,
        h('span', { class: 'hsp-badge' }, e.level === 'error' ? (e.kind === 'rejection' ? 'Rejection' : 'Error') : 'Warning'),
        h('span', { class: 'hsp-row-message', dir: 'auto' }, e.message || '(no message)'),
        e.source ? h('span', { class: 'hsp-row-source', title: e.source }, formatSource(e.source, e.line)) : null,
      ),
    );
    list(panels.console, entries, 'No errors or warnings recorded.');
    const errors = summary.console.filter((e) => e.level === 'error').length;
    counts.console.textContent = String(summary.console.length);
    counts.console.classList.toggle('hsp-count-bad', errors > 0);

    const requests = summary.network.map((n) =>
      row(n.time, 'network-entry', n.failed ? 'hsp-failed' : '', `Jump to request at ${formatClock(n.time)}: ${n.method} ${readableUrl(n.url)} ${n.status || 'failed'}`,
        h('span', { class: 'hsp-method' }, n.method),
        h('span', { class: 'hsp-row-url', title: n.url }, shortUrl(n.url, baseUrl)),
        h('span', { class: 'hsp-status' }, n.status ? String(n.status) : 'failed'),
        h('span', { class: 'hsp-duration' }, formatMs(n.duration)),
      ),
    );
    list(panels.network, requests, 'No requests recorded.');
    const failed = summary.network.filter((n) => n.failed).length;
    counts.network.textContent = String(summary.network.length);
    counts.network.classList.toggle('hsp-count-bad', failed > 0);
  }

  /** The Details tab; `session` may be null when its answer failed. */
  function setDetails(session, summary, viewport) {
    if (!session) {
      setChildren(panels.details, h('p', { class: 'hsp-empty' }, 'Session details could not be loaded.'));
      return;
    }
    const identity = session.identity || (summary.identities.length ? summary.identities[summary.identities.length - 1].id : '');
    const tags = Object.assign({}, recordedTags(summary), session.tags || {});
    const screen = formatSize(session.screen_w, session.screen_h);
    const rows = [
      ['Identity', identity || 'Anonymous'],
      ['Visitor', session.visitor_id],
      ['Tags', Object.keys(tags).length ? tagList(tags) : ''],
      ['Browser', session.browser],
      ['OS', session.os],
      ['Device', session.device_type],
      ['Viewport', formatSize(session.viewport_w, session.viewport_h) || (viewport ? formatSize(viewport.width, viewport.height) : '')],
      ['Screen', screen],
      ['Entry URL', session.entry_url],
      ['Referrer', session.referrer || 'None (direct)'],
      ['Duration', session.duration !== undefined && session.duration !== null ? formatDuration(session.duration) : ''],
      ['Started', formatDate(session.started_at)],
      ['Last activity', formatDate(session.last_activity_at)],
      ['Pages', session.page_count],
      ['Errors', session.error_count],
    ];
    setChildren(
      panels.details,
      h('dl', { class: 'hsp-details' }, rows.map(([k, v]) => [h('dt', null, k), h('dd', { dir: 'auto' }, v === '' || v === undefined || v === null ? '—' : v)])),
    );
  }

  /** The Frustration tab: the session's signals from the server, each a jump to its moment. */
  function setSignals(session, startTime, baseUrl) {
    const signals = (session && session.signals) || [];
    const items = signals.map((s) => {
      const time = Math.max(0, s.ts - startTime);
      const label = SIGNAL_LABELS[s.kind] || s.kind;
      return row(time, 'signal-entry', `hsp-signal-${s.kind}`, `Jump to ${label} at ${formatClock(time)}`,
        h('span', { class: 'hsp-badge hsp-badge-frustration' }, label),
        h('span', { class: 'hsp-row-message' }, s.selector || ''),
        h('span', { class: 'hsp-row-url', title: s.url }, shortUrl(s.url, baseUrl)),
      );
    });
    list(panels.frustration, items, 'No rage, dead or error clicks and no quick backs.');
    counts.frustration.textContent = String(signals.length);
    counts.frustration.classList.toggle('hsp-count-bad', signals.length > 0);
  }

  return { el, select, setSummary, setDetails, setSignals, setTime };
}

const LISTS = ['pages', 'console', 'network', 'frustration'];

function inView(panel, row) {
  const box = panel.getBoundingClientRect();
  const r = row.getBoundingClientRect();
  return r.bottom > box.top && r.top < box.bottom;
}

/** Scrolls the panel (only: on a phone the page itself must not jump) to show the row. */
function scrollToRow(panel, row) {
  const box = panel.getBoundingClientRect();
  const r = row.getBoundingClientRect();
  if (r.top < box.top) panel.scrollTop -= box.top - r.top;
  else if (r.bottom > box.bottom) panel.scrollTop += r.bottom - box.bottom;
}

function tagList(tags) {
  return h('ul', { class: 'hsp-tags' }, Object.entries(tags).map(([k, v]) => h('li', null, h('span', { class: 'hsp-tag', dir: 'auto' }, `${k}: ${v}`))));
}
