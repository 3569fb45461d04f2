// Which parts of a recording to fetch first. A recording comes as parts of a
// few minutes (GET .../recording/ lists them), each starting at a full
// snapshot where it can. To show a moment, the player needs the part with
// the last full snapshot at or before it, and the parts up to the moment;
// the rest it fetches afterwards. Pure functions of the part list.

const EVENT_META = 4;

/** Index of the part holding the last full snapshot at or before `at` (absolute ms), else of the first snapshot. */
export function startPart(parts, at) {
  let found = -1;
  parts.forEach((part, index) => {
    if ((part.snapshots || []).some((ts) => ts <= at)) found = index;
  });
  if (found >= 0) return found;
  const first = parts.findIndex((part) => (part.snapshots || []).length > 0);
  return first >= 0 ? first : 0;
}

/** Index of the last part, from `from` on, that begins at or before `at`: the parts [from, that] cover `at`. */
export function coveringEnd(parts, from, at) {
  let end = from;
  for (let index = from + 1; index < parts.length && parts[index].first_ts <= at; index++) end = index;
  // A moment in a quiet stretch between two parts: the next one too, or the timeline would end before it
  // and the replay open at the end of the part before.
  if (end + 1 < parts.length && parts[end].last_ts < at) end++;
  return end;
}

/**
 * Events that start later than the recording (the player began at a later
 * part) get a Meta event at the recording's start, so that the player's
 * timeline counts from the start of the session, not of the part.
 */
export function fromRecordingStart(events, start) {
  if (!events.length || !(start < events[0].timestamp)) return events;
  const meta = events.find((e) => e.type === EVENT_META);
  if (!meta) return events;
  return [{ type: EVENT_META, timestamp: start, data: { ...meta.data } }].concat(events);
}
