// One place that drives the replayer: every control, marker, panel row and
// shortcut goes through these methods, so that state (playing, speed,
// skipping, following the live edge) stays consistent.

import { animationsAt } from './animations.js';

export const SPEEDS = [1, 2, 4, 8];
const END_SLACK_MS = 250;
// rrweb's own pace for a skip: a stretch passes in about one wall-clock second per 5 s of it.
const SKIP_TIME_INTERVAL_MS = 5000;
// Following a live session, a new batch holds the seconds since the last one (the recorder uploads every
// few seconds): played at the viewer's speed, its last moment showed a whole upload interval after it
// arrived. It plays faster instead, every moment shown, to reach the newest one in about this long.
const CATCH_UP_MS = 1000;

export function createController(first, state) {
  let replayer = first;
  const changeListeners = new Set();
  const tickListeners = new Set();
  const previewListeners = new Set();
  let frame = null;

  const ctl = {
    replayer,
    state,
    onChange(fn) {
      changeListeners.add(fn);
    },
    onTick(fn) {
      tickListeners.add(fn);
    },
    /** The time under the pointer while the timeline is dragged (shown, not yet sought); null when the drag ends. */
    onPreview(fn) {
      previewListeners.add(fn);
    },
    preview(ms) {
      for (const fn of previewListeners) fn(ms, ctl.total());
    },
    total() {
      return replayer.getMetaData().totalTime;
    },
    currentTime() {
      return Math.min(Math.max(0, replayer.getCurrentTime()), ctl.total());
    },
    isPlaying() {
      return replayer.service.state.matches('playing');
    },
    atEnd() {
      return ctl.currentTime() >= ctl.total() - END_SLACK_MS;
    },
    play() {
      if (ctl.atEnd() && state.live) {
        // At the end of a live session, "play" means wait for what comes next.
        state.following = true;
        start(ctl.currentTime());
      } else {
        // Play at the end starts over, as every media player does.
        start(ctl.atEnd() ? 0 : ctl.currentTime());
      }
      changed();
    },
    pause() {
      state.following = false;
      endCatchUp();
      if (ctl.isPlaying()) {
        replayer.pause();
        // (played faster than the page, its animations ran behind it)
        const events = replayer.service.state.context.events;
        if (events.length) animationsAt(replayer, events[0].timestamp + ctl.currentTime());
      }
      changed();
    },
    toggle() {
      if (state.playing) ctl.pause();
      else ctl.play();
    },
    seek(ms) {
      const target = Math.min(Math.max(0, Math.round(ms)), ctl.total());
      const wasPlaying = state.playing;
      endSkip();
      endCatchUp();
      if (target < ctl.total() - END_SLACK_MS) state.following = false;
      rebuildOnNextPlay();
      // rrweb applies the events before the moment it is given, not those at it: a page load's snapshot
      // has the moment of its entry in the Pages panel, and the first page the moment 0.
      const at = target + 1;
      if (wasPlaying) start(at);
      else replayer.pause(at);
      restoreScroll(at);
      // Before anyone reads the frame: the popovers and the marks' states (stage.js), whose observer would only
      // run after this task.
      if (replayer.hspMarks) replayer.hspMarks();
      const events = replayer.service.state.context.events;
      if (events.length) {
        if (replayer.hspFocus) replayer.hspFocus.seek(events[0].timestamp + at);
        if (replayer.hspTarget) replayer.hspTarget.seek(events[0].timestamp + at);
        animationsAt(replayer, events[0].timestamp + at);
      }
      changed();
    },
    seekBy(deltaMs) {
      ctl.seek(ctl.currentTime() + deltaMs);
    },
    setSpeed(speed) {
      if (!SPEEDS.includes(speed)) return;
      state.speed = speed;
      endSkip();
      catchingUp = false;
      replayer.setConfig({ speed });
      skipIdleAhead();
      changed();
    },
    setSkipInactive(on) {
      state.skipInactive = Boolean(on);
      replayer.setConfig({ skipInactive: state.skipInactive });
      if (!on) state.skipping = false;
      skipIdleAhead();
      changed();
    },
    /** Jumps to the newest moment and keeps playing as events arrive. */
    goLive() {
      state.following = true;
      start(Math.max(0, ctl.total() - 1000));
      changed();
    },
    /** Plays from `ms`, wherever the replayer was. */
    playFrom(ms) {
      rebuildOnNextPlay();
      start(Math.min(Math.max(0, Math.round(ms)), ctl.total()));
      changed();
    },
    /** Drive another replayer from now on (the same recording, more of it); returns the one it replaces. */
    swap(next) {
      const old = replayer;
      replayer = next;
      ctl.replayer = next;
      catchingUp = false;
      listen(next);
      return old;
    },
    /** After live events were added: carry on if the viewer was at the edge. */
    resumeIfFollowing() {
      if (state.following) {
        if (!ctl.isPlaying()) start(ctl.currentTime());
        catchUp();
      }
      changed();
    },
    changed,
  };

  // Seeking forward, rrweb's Replayer applies only the events after the last
  // one it played, onto a page it rebuilt in its own way meanwhile: it could
  // keep an older scroll position or DOM state than a fresh replayer shows at
  // the same moment. A "last played" event later than any moment makes every
  // seek go the way a backward seek does: reset the mirrors, rebuild from the
  // nearest full snapshot and apply what follows, as a fresh replayer would.
  function rebuildOnNextPlay() {
    const context = replayer.service && replayer.service.state && replayer.service.state.context;
    if (context) context.lastPlayedEvent = { type: -1, timestamp: Infinity, data: {} };
  }

  // Rebuilding the page in the same frame, rrweb can leave the frame scrolled
  // where it was before the seek (a backward seek past a scroll showed the
  // later position): scroll it to where the recording says it was.
  function restoreScroll(target) {
    const events = replayer.service.state.context.events;
    const win = replayer.iframe.contentWindow;
    if (!events.length || !win) return;
    const at = events[0].timestamp + target;
    let pos = null;
    let doc = null;
    for (const e of events) {
      if (e.timestamp >= at) break;
      if (e.type === 2) {
        pos = e.data.initialOffset;
        doc = e.data.node.id;
      } else if (e.type === 3 && e.data.source === 3 && e.data.id === doc) pos = { left: e.data.x, top: e.data.y };
    }
    if (pos) win.scrollTo(pos.left || 0, pos.top || 0);
  }

  function start(at) {
    replayer.play(at);
    skipIdleAhead();
  }

  // rrweb looks for an idle stretch to skip only as it plays an event, so a
  // replay started inside one (a seek, a deep link, play after a pause, a
  // speed change) sat through the rest of it in real time. Look ahead from
  // here the way rrweb looks ahead from an event, with its threshold and pace;
  // rrweb itself leaves the skip when it plays the interaction.
  function skipIdleAhead() {
    if (!state.skipInactive || !ctl.isPlaying() || replayer.nextUserInteractionEvent) return;
    const events = replayer.service.state.context.events;
    if (!events.length) return;
    const now = events[0].timestamp + ctl.currentTime();
    const next = events.find((e) => e.timestamp >= now && replayer.isUserInteraction(e));
    if (!next) return;
    const gap = next.timestamp - now;
    if (gap <= replayer.config.inactivePeriodThreshold * state.speed) return;
    replayer.nextUserInteractionEvent = next;
    const payload = { speed: Math.min(Math.round(gap / SKIP_TIME_INTERVAL_MS), replayer.config.maxSpeed) };
    replayer.speedService.send({ type: 'FAST_FORWARD', payload });
    replayer.emitter.emit('skip-start', payload);
  }

  let catchingUp = false;
  function catchUp() {
    const speed = (ctl.total() - ctl.currentTime()) / CATCH_UP_MS;
    if (state.skipping || speed <= state.speed) return;
    catchingUp = true;
    replayer.speedService.send({ type: 'SET_SPEED', payload: { speed } });
  }

  function endCatchUp() {
    if (!catchingUp) return;
    catchingUp = false;
    replayer.speedService.send({ type: 'SET_SPEED', payload: { speed: state.speed } });
  }

  // rrweb stays in fast-forward until it reaches the interaction it was
  // skipping to; after a seek or a speed change that moment may never be
  // played, so leave skipping explicitly (this emits skip-end).
  function endSkip() {
    if (state.skipping && typeof replayer.backToNormal === 'function') replayer.backToNormal();
    state.skipping = false;
  }

  function changed() {
    // Waiting at the live edge for new events counts as playing for the viewer.
    state.playing = ctl.isPlaying() || (state.live && state.following);
    for (const fn of changeListeners) fn(ctl);
    tick();
    if (state.playing && frame === null) frame = requestAnimationFrame(loop);
  }

  function tick() {
    const time = ctl.currentTime();
    state.currentTime = time;
    state.total = ctl.total();
    for (const fn of tickListeners) fn(time, state.total);
  }

  function loop() {
    frame = null;
    tick();
    if (ctl.isPlaying()) frame = requestAnimationFrame(loop);
  }

  // state-change also fires for every replayed event; react to real changes only.
  let rrwebPlaying = false;
  function listen(target) {
    target.on('state-change', () => {
      if (target !== replayer) return;
      if (ctl.isPlaying() !== rrwebPlaying) {
        rrwebPlaying = ctl.isPlaying();
        changed();
      }
    });
    target.on('skip-start', () => {
      if (target !== replayer) return;
      state.skipping = true;
      changed();
    });
    target.on('skip-end', () => {
      if (target !== replayer) return;
      state.skipping = false;
      changed();
    });
    target.on('finish', () => {
      if (target !== replayer) return;
      // Reaching the end of a live session means "show me what comes next".
      if (state.live) state.following = true;
      state.skipping = false;
      endCatchUp();
      changed();
    });
  }
  listen(replayer);

  return ctl;
}
