import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coveringEnd, fromRecordingStart, startPart } from '../src/parts.js';

const parts = [
  { first_ts: 0, last_ts: 299, snapshots: [0] },
  { first_ts: 300, last_ts: 599, snapshots: [300] },
  { first_ts: 600, last_ts: 650, snapshots: [] },
  { first_ts: 651, last_ts: 899, snapshots: [700] },
];

test('the player starts at the part with the last full snapshot before the moment', () => {
  assert.equal(startPart(parts, 0), 0);
  assert.equal(startPart(parts, 450), 1);
  assert.equal(startPart(parts, 660), 1);
  assert.equal(startPart(parts, 10_000), 3);
  assert.equal(startPart([{ snapshots: [] }, { snapshots: [5] }], 0), 1);
  assert.equal(startPart([{ snapshots: [] }], 0), 0);
});

test('it fetches the parts from there up to the moment', () => {
  assert.equal(coveringEnd(parts, 0, 0), 0);
  assert.equal(coveringEnd(parts, 1, 620), 2);
  assert.equal(coveringEnd(parts, 1, 660), 3);
  assert.equal(coveringEnd(parts, 3, 10_000), 3);
  // In the quiet stretch between two parts: up to the part after it.
  const gap = [{ first_ts: 0, last_ts: 250, snapshots: [0] }, { first_ts: 400, last_ts: 600, snapshots: [] }];
  assert.equal(coveringEnd(gap, 0, 300), 1);
  assert.equal(coveringEnd(gap, 0, 250), 0);
});

test('a later start gets a Meta at the recording start, copied from its own', () => {
  const meta = { type: 4, timestamp: 300, data: { href: 'https://a.test/', width: 800, height: 600 } };
  const events = [meta, { type: 2, timestamp: 300, data: {} }];
  assert.deepEqual(fromRecordingStart(events, 0)[0], { ...meta, timestamp: 0 });
  assert.equal(fromRecordingStart(events, 0).length, 3);
  assert.equal(fromRecordingStart(events, 300), events);
});
