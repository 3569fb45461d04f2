import { test } from 'node:test';
import assert from 'node:assert/strict';
import { focusedAt } from '../src/focus.js';

const focus = (t, id) => ({ type: 3, timestamp: t, data: { source: 2, type: 5, id } });
const blur = (t, id) => ({ type: 3, timestamp: t, data: { source: 2, type: 6, id } });

test('the focused node is the last focused before the moment, unless it was blurred since', () => {
  const events = [
    { type: 2, timestamp: 10, data: {} },
    focus(20, 5),
    { type: 3, timestamp: 25, data: { source: 2, type: 2, id: 5 } }, // a click moves nothing
    blur(30, 5),
    focus(30, 7),
    blur(40, 5), // a late blur of another node does not take focus from the one that has it
    blur(50, 7),
  ];
  assert.equal(focusedAt(events, 15), null);
  assert.equal(focusedAt(events, 20), null); // the events before the moment: not at it
  assert.equal(focusedAt(events, 21), 5);
  assert.equal(focusedAt(events, 31), 7);
  assert.equal(focusedAt(events, 45), 7);
  assert.equal(focusedAt(events, 51), null);
});

test('a new full snapshot (a new page) starts with nothing focused', () => {
  const events = [{ type: 2, timestamp: 1, data: {} }, focus(2, 3), { type: 2, timestamp: 5, data: {} }];
  assert.equal(focusedAt(events, 4), 3);
  assert.equal(focusedAt(events, 6), null);
});
