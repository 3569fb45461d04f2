// What the player shows on top of rrweb from the recording's state at each
// moment (the focused element, the fragment's target): a value worked out
// from the events, kept in step as the replay plays and seeks.

/** The value `step(value, event)` makes of the events before `at` (epoch ms), starting from null. */
export function foldBefore(events, at, step) {
  let value = null;
  for (const e of events) {
    if (e.timestamp >= at) break;
    value = step(value, e);
  }
  return value;
}

/**
 * Calls `show(value)` whenever an event played changes the value (`step`), or is one after which it must
 * be shown again (`again(event)`: the page changed under it); returns seek(at) for after a seek.
 */
export function follow(replayer, step, show, again) {
  let value = null;
  replayer.on('event-cast', (e) => {
    const before = value;
    value = step(value, e);
    if (value !== before || (value !== null && again(e))) show(value);
  });
  return {
    seek(at) {
      value = foldBefore(replayer.service.state.context.events, at, step);
      show(value);
    },
  };
}
