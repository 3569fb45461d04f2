// Hindsight's replay player. The page gives it one element:
//   <div id="hs-player" data-session-url data-events-url data-live data-csrf>
// It loads the session and its events, replays them with rrweb inside a
// script-less sandbox, and follows the session while it is still live.
import { fetchPart, fetchRecording, fetchSession, recordingUrl } from './api.js';
import { h } from './dom.js';
import { formatSize, readableUrl } from './format.js';
import { buildLayout } from './layout.js';
import { createReplayer, destroyReplayer, fitToStage, SandboxError } from './stage.js';
import { popoversSync } from './popover.js';
import { followMedia } from './media.js';
import { showFocusAt } from './focus.js';
import { coveringEnd, fromRecordingStart, startPart } from './parts.js';
import { createController } from './controller.js';
import { createControls, bindShortcuts, deepLinkTime } from './controls.js';
import { createTimeline, signalMarkers } from './timeline.js';
import { createPanels } from './panels.js';
import { useRelay } from './relay.js';
import { createSearch } from './search.js';
import { startLive } from './live.js';
import { addToSummary, markersOf, pageAt, sortEvents, summarize, tooLarge, viewportAt } from './summary.js';

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
  useRelay(root);
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
  // The player's own steps on a frame rrweb built, for a test's fresh Replayer to take too.
  const exposed = { replayer: null, controller: null, state, popoversSync, showFocusAt };
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

  // The recording's parts, and every event loaded so far (in order).
  let parts = [];
  let loaded = [];
  const media = followMedia(); // the visitor's answers to media queries (a dark setting, a phone), given to the page's CSS

  async function load() {
    state.status = 'loading';
    ui.showMessage('Loading recording…');
    const [sessionAnswer, recordingAnswer] = await Promise.allSettled([
      fetchSession(config.sessionUrl),
      fetchRecording(recordingUrl(config.sessionUrl)),
    ]);
    session = sessionAnswer.status === 'fulfilled' ? sessionAnswer.value : null;
    if (recordingAnswer.status === 'rejected') {
      failLoading(recordingAnswer.reason);
      return;
    }
    const recording = recordingAnswer.value;
    parts = recording.parts;
    state.nextSeq = recording.next_seq;
    state.live = config.live || Boolean(session && session.is_live);

    // What the viewer asked for first: the deep-linked moment, the live
    // edge, or the start. Fetch the part with the last full snapshot before
    // it and those up to it; the rest follows in the background.
    const deep = deepLinkTime();
    const target = deep !== null ? recording.start + deep : state.live ? recording.end : recording.start;
    const first = parts.length ? startPart(parts, target) : 0;
    const last = parts.length ? coveringEnd(parts, first, target) : -1;
    let events;
    try {
      events = await fetchParts(parts.slice(first, last + 1));
    } catch (e) {
      failLoading(e);
      return;
    }
    loaded = events;
    events = fromRecordingStart(events, recording.start);
    const known = summarize(events);
    panels.setDetails(session, known, null);

    // A session still in progress opens at its live edge, following new events.
    if (canReplay(events)) mount(events, { followLive: state.live && deep === null });
    else {
      // Nothing to replay (yet), but the pages, errors and requests it holds are known.
      showLists(known);
      const stop = known.stops[0];
      if (stop) {
        // (The recorder stopped at a snapshot over its limit: nothing of the page will come.)
        state.status = 'empty';
        ui.showMessage(
          `This page was too large to record: ${tooLarge(stop)}. The visitor's next page is recorded again.`,
          { state: 'empty' },
        );
      } else if (state.live) {
        pending = events;
        state.status = 'waiting';
        ui.showMessage('The visitor is still loading the page. Waiting for the first events…', { state: 'waiting' });
      } else if (last + 1 >= parts.length) {
        state.status = 'empty';
        ui.showMessage(
          events.length ? 'This session has no page snapshot, so there is nothing to replay.' : 'This session has no recorded events.',
          { state: 'empty' },
        );
      }
    }
    await loadRest(first, last);
    if (state.live) follow(loaded);
  }

  async function fetchParts(list) {
    const answers = await Promise.all(list.map((part) => fetchPart(part.url)));
    return media(sortEvents([].concat(...answers)));
  }

  /** The parts after those shown (appended as they come), then those before (the replay is rebuilt with them). */
  async function loadRest(first, last) {
    try {
      for (let index = last + 1; index < parts.length; index++) addEvents(await fetchPart(parts[index].url));
      if (first > 0) {
        loaded = sortEvents((await fetchParts(parts.slice(0, first))).concat(loaded));
        if (ctl) rebuild(loaded);
        else if (canReplay(loaded)) mount(loaded, { followLive: state.live });
      }
      state.complete = true;
    } catch (e) {
      ui.announce(`Part of this recording could not be loaded (${loadErrorText(e)}); what is shown is incomplete.`);
    }
  }

  function failLoading(reason) {
    const status = reason && reason.status;
    // Retrying helps with a network hiccup or a server error, not a missing session.
    fail(loadErrorText(reason), { retry: !(status >= 400 && status < 500) });
  }

  function fail(text, { retry = false } = {}) {
    state.status = 'error';
    state.error = text;
    const action = retry ? h('button', { type: 'button', class: 'hsp-btn', onclick: () => load() }, 'Try again') : null;
    ui.showMessage(text, { state: 'error', action });
  }

  /** Starts the replay; `followLive` jumps to the newest moment once it is built. */
  function mount(events, { followLive = false } = {}) {
    const replayer = replayerFor(events);
    if (!replayer) return;
    ctl = createController(replayer, state);
    exposed.controller = ctl;
    summary = summarize(events);
    state.eventCount = events.length;

    const timeline = createTimeline(ctl);
    const controls = createControls(ctl, { announce: ui.announce });
    ui.timelineSlot.append(timeline.el);
    ui.controlsSlot.append(controls.el);
    bindShortcuts(ctl);
    attach(replayer);

    let shownPage = undefined;
    ctl.onTick((time) => {
      panels.setTime(time);
      const page = pageAt(summary, time);
      if (page === shownPage) return;
      shownPage = page;
      ui.currentUrl.textContent = page ? readableUrl(page.url) : '';
      ui.currentUrl.title = page ? page.url : 'Page at this moment';
    });
    ctl.onChange(() => {
      ui.skipNote.hidden = !state.skipping;
      ui.liveBadge.hidden = !state.live;
      ui.liveBadge.dataset.following = String(state.following);
    });

    const refresh = () => {
      showLists(summary);
      panels.setDetails(session, summary, state.viewport);
      timeline.setMarkers([...markersOf(summary), ...signalMarkers(session, summary.startTime)].sort((a, b) => a.time - b.time));
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

  /** The panels' lists: pages, console, network and frustration signals. */
  function showLists(known) {
    const baseUrl = known.pages.length ? known.pages[0].url : undefined;
    panels.setSummary(known, baseUrl);
    panels.setSignals(session, known.startTime, baseUrl);
  }

  function replayerFor(events) {
    try {
      return createReplayer(events, ui.mount, { skipInactive: state.skipInactive, speed: state.speed });
    } catch (e) {
      fail(e instanceof SandboxError ? `Replay blocked for safety: ${e.message}` : `This recording could not be replayed: ${e.message}`);
      return null;
    }
  }

  /** What ties a replayer to the stage: its size, scaled to fit. */
  function attach(replayer) {
    exposed.replayer = replayer;
    const fit = fitToStage(ui.stage, replayer.wrapper);
    const showViewport = (v) => {
      if (!v) return;
      state.viewport = { width: v.width, height: v.height };
      ui.viewportSize.textContent = formatSize(v.width, v.height);
      fit(v.width, v.height);
    };
    showViewport(viewportAt(summary, Math.max(0, ctl.currentTime())));
    // Meta events and viewport resizes during replay both arrive as 'resize'.
    replayer.on('resize', showViewport);
  }

  /**
   * The earlier parts arrived after the replay began at a later one: replay
   * everything with a new replayer, at the same moment and in the same state.
   */
  function rebuild(events) {
    const time = ctl.currentTime();
    const { following } = state;
    const playing = ctl.isPlaying();
    const replayer = replayerFor(events);
    if (!replayer) return;
    const old = ctl.swap(replayer);
    destroyReplayer(old);
    summary = summarize(events);
    state.eventCount = events.length;
    attach(replayer);
    search.reset(events, summary.startTime);
    exposed.refresh();
    setTimeout(() => {
      if (following) ctl.goLive();
      else if (playing) ctl.playFrom(time);
      else ctl.seek(time);
    }, SETUP_DELAY_MS);
  }

  /** More events, later than those shown: a part loaded in the background, or a live session's new ones. */
  function addEvents(batch) {
    const events = media(sortEvents(batch));
    loaded = loaded.concat(events);
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
      onEvents: addEvents,
      onSession: (fresh) => {
        session = fresh;
        if (summary) panels.setDetails(session, summary, state.viewport);
      },
      onStop: (reason) => {
        state.live = false;
        state.following = false;
        ui.liveBadge.hidden = true;
        ui.announce(reason === 'gone' ? 'This session was deleted: what is shown is all there will be.' : 'The session has ended.');
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
