// Hindsight's replay player. The page gives it one element:
//   <div id="hs-player" data-session-url data-events-url data-live data-csrf>
// It loads the session and its events, replays them with rrweb inside a
// script-less sandbox, and follows the session while it is still live.
import { fetchEvents, fetchSession } from './api.js';
import { h } from './dom.js';
import { formatSize } from './format.js';
import { buildLayout } from './layout.js';
import { createReplayer, fitToStage, SandboxError } from './stage.js';
import { createController } from './controller.js';
import { createControls, bindShortcuts, deepLinkTime } from './controls.js';
import { createTimeline } from './timeline.js';
import { createPanels } from './panels.js';
import { createSearch } from './search.js';
import { startLive } from './live.js';
import { addToSummary, markersOf, pageAt, sortEvents, summarize, viewportAt } from './summary.js';

const EVENT_META = 4;
const EVENT_FULL_SNAPSHOT = 2;
// Longer than rrweb's own 0 and 1 ms setup timers (see mount()).
const SETUP_DELAY_MS = 20;

/** rrweb can rebuild a page only from a Meta (size) and a full snapshot. */
function canReplay(events) {
  return events.some((e) => e.type === EVENT_META) && events.some((e) => e.type === EVENT_FULL_SNAPSHOT);
}

function loadErrorText(error) {
  const status = error && error.status;
  if (status === 404) return 'This session was not found. It may have been deleted.';
  if (status === 401 || status === 403) return 'You do not have access to this session. Try signing in again.';
  if (status === 0) return 'Could not reach the server to load this recording. Check your connection.';
  if (status) return `Could not load this recording: the server answered HTTP ${status}.`;
  return `Could not load this recording: ${error && error.message ? error.message : 'unknown error'}.`;
}

function readConfig(root) {
  return {
    sessionUrl: root.dataset.sessionUrl,
    eventsUrl: root.dataset.eventsUrl,
    live: root.dataset.live === 'true',
  };
}

function createPlayer(root) {
  const config = readConfig(root);
  const ui = buildLayout(root);
  const state = {
    status: 'loading', // loading | ready | empty | waiting | error
    error: null,
    playing: false,
    currentTime: 0,
    total: 0,
    speed: 1,
    skipInactive: true,
    skipping: false,
    live: false,
    following: false,
    viewport: null,
    eventCount: 0,
    nextSeq: null,
  };
  const exposed = { replayer: null, controller: null, state };
  window.__hsPlayer = exposed;

  let session = null;
  let ctl = null;
  let summary = null;
  let pending = []; // live events that arrived before there was enough to replay
  let live = null;

  const jump = (time) => ctl && ctl.seek(time);
  const panels = createPanels({ onJump: jump });
  // Text is in the page once its event is applied, i.e. just after its time.
  const search = createSearch({ onJump: (time) => jump(time + 1) });
  ui.side.append(search.el, panels.el);
  ui.liveBadge.addEventListener('click', () => ctl && ctl.goLive());

  async function load() {
    state.status = 'loading';
    ui.showMessage('Loading recording…');
    const [sessionAnswer, eventsAnswer] = await Promise.allSettled([
      fetchSession(config.sessionUrl),
      fetchEvents(config.eventsUrl),
    ]);
    session = sessionAnswer.status === 'fulfilled' ? sessionAnswer.value : null;
    if (eventsAnswer.status === 'rejected') {
      const status = eventsAnswer.reason && eventsAnswer.reason.status;
      // Retrying helps with a network hiccup or a server error, not a missing session.
      fail(loadErrorText(eventsAnswer.reason), { retry: !(status >= 400 && status < 500) });
      return;
    }
    const events = sortEvents(eventsAnswer.value.events);
    state.nextSeq = eventsAnswer.value.nextSeq;
    state.live = config.live || Boolean(session && session.is_live);
    panels.setDetails(session, summarize(events), null);

    // A session still in progress opens at its live edge, following new events.
    if (canReplay(events)) mount(events, { followLive: state.live });
    else if (state.live) {
      pending = events;
      state.status = 'waiting';
      ui.showMessage('The visitor is still loading the page. Waiting for the first events…', { state: 'waiting' });
    } else {
      state.status = 'empty';
      ui.showMessage(
        events.length ? 'This session has no page snapshot, so there is nothing to replay.' : 'This session has no recorded events.',
        { state: 'empty' },
      );
    }
    if (state.live) follow(events);
  }

  function fail(text, { retry = false } = {}) {
    state.status = 'error';
    state.error = text;
    const action = retry ? h('button', { type: 'button', class: 'hsp-btn', onclick: () => load() }, 'Try again') : null;
    ui.showMessage(text, { state: 'error', action });
  }

  /** Starts the replay; `followLive` jumps to the newest moment once it is built. */
  function mount(events, { followLive = false } = {}) {
    let replayer;
    try {
      replayer = createReplayer(events, ui.mount, { skipInactive: state.skipInactive, speed: state.speed });
    } catch (e) {
      fail(e instanceof SandboxError ? `Replay blocked for safety: ${e.message}` : `This recording could not be replayed: ${e.message}`);
      return;
    }
    exposed.replayer = replayer;
    ctl = createController(replayer, state);
    exposed.controller = ctl;
    summary = summarize(events);
    state.eventCount = events.length;

    const timeline = createTimeline(ctl);
    const controls = createControls(ctl, { announce: ui.announce });
    ui.timelineSlot.append(timeline.el);
    ui.controlsSlot.append(controls.el);
    bindShortcuts(ctl);

    const fit = fitToStage(ui.stage, replayer.wrapper);
    const showViewport = (v) => {
      if (!v) return;
      state.viewport = { width: v.width, height: v.height };
      ui.viewportSize.textContent = formatSize(v.width, v.height);
      fit(v.width, v.height);
    };
    showViewport(viewportAt(summary, 0));
    // Meta events and viewport resizes during replay both arrive as 'resize'.
    replayer.on('resize', showViewport);

    const baseUrl = summary.pages.length ? summary.pages[0].url : undefined;
    let shownPage = undefined;
    ctl.onTick((time) => {
      const page = pageAt(summary, time);
      if (page === shownPage) return;
      shownPage = page;
      ui.currentUrl.textContent = page ? page.url : '';
    });
    ctl.onChange(() => {
      ui.skipNote.hidden = !state.skipping;
      ui.liveBadge.hidden = !state.live;
      ui.liveBadge.dataset.following = String(state.following);
    });

    const refresh = () => {
      panels.setSummary(summary, baseUrl);
      panels.setDetails(session, summary, state.viewport);
      timeline.setMarkers(markersOf(summary));
    };
    refresh();
    exposed.refresh = refresh;
    search.addEvents(events, summary.startTime);

    ui.showMessage(null);
    ctl.changed();
    // rrweb's constructor sizes the frame from the first Meta event and
    // builds the first snapshot on 0 and 1 ms timers; a deep-link seek made
    // before those fire would be undone by them. "ready" means the first
    // frame (or the deep-linked one) is on the stage.
    setTimeout(() => {
      const start = deepLinkTime();
      if (start !== null) ctl.seek(start);
      else if (followLive) ctl.goLive();
      state.status = 'ready';
    }, SETUP_DELAY_MS);
  }

  function addLiveEvents(batch) {
    const events = sortEvents(batch);
    if (!ctl) {
      pending = pending.concat(events);
      // Whoever waited for a live session to start wants to watch it live.
      if (canReplay(pending)) mount(sortEvents(pending), { followLive: state.live });
      return;
    }
    for (const event of events) ctl.replayer.addEvent(event);
    state.eventCount += events.length;
    addToSummary(summary, events);
    search.addEvents(events, summary.startTime);
    // rrweb queues added events on a microtask; resume once they are in.
    setTimeout(() => {
      exposed.refresh();
      ctl.resumeIfFollowing();
    }, 0);
  }

  function follow(events) {
    if (live) return;
    ui.liveBadge.hidden = false;
    live = startLive({
      sessionUrl: config.sessionUrl,
      eventsUrl: config.eventsUrl,
      nextSeq: state.nextSeq,
      lastTimestamp: events.length ? events[events.length - 1].timestamp : 0,
      onEvents: addLiveEvents,
      onSession: (fresh) => {
        session = fresh;
        if (summary) panels.setDetails(session, summary, state.viewport);
      },
      onStop: () => {
        state.live = false;
        state.following = false;
        ui.liveBadge.hidden = true;
        ui.announce('The session has ended.');
        if (ctl) ctl.changed();
        else if (state.status === 'waiting') {
          state.status = 'empty';
          ui.showMessage('This session ended before anything could be replayed.', { state: 'empty' });
        }
      },
    });
    exposed.stopLive = () => live.stop();
  }

  load();
  return exposed;
}

function boot() {
  const root = document.getElementById('hs-player');
  if (root && !root.dataset.hspStarted) {
    root.dataset.hspStarted = 'true';
    createPlayer(root);
  }
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
