import { test } from 'node:test';
import assert from 'node:assert/strict';
import { masksVisible } from '../src/masked.js';

const input = (id, type, value) => ({ type: 2, tagName: 'input', id, attributes: { type, value }, childNodes: [] });

test('inputs that cannot hold a * replay as text fields; others are left alone', () => {
  const snapshot = { type: 2, timestamp: 1, data: { node: { type: 0, id: 1, childNodes: [
    input(2, 'number', '**'), input(3, 'DATE', '**********'), input(4, 'email', '***'), input(5, 'checkbox', ''),
  ] } } };
  const mutation = { type: 3, timestamp: 2, data: { source: 0, texts: [], removes: [],
    adds: [{ parentId: 1, nextId: null, node: input(6, 'range', '*') }],
    attributes: [{ id: 4, attributes: { type: 'time' } }, { id: 5, attributes: { class: 'x' } }] } };
  masksVisible([snapshot, mutation]);
  const types = snapshot.data.node.childNodes.map((n) => n.attributes.type);
  assert.deepEqual(types, ['text', 'text', 'email', 'checkbox']);
  assert.equal(mutation.data.adds[0].node.attributes.type, 'text');
  assert.deepEqual(mutation.data.attributes.map((c) => c.attributes), [{ type: 'text' }, { class: 'x' }]);
});

test('a page thousands of elements deep is walked without recursion', () => {
  let node = input(9, 'number', '*');
  for (let id = 10; id < 30000; id++) node = { type: 2, tagName: 'div', id, attributes: {}, childNodes: [node] };
  const events = masksVisible([{ type: 2, timestamp: 1, data: { node } }]);
  while (node.childNodes.length) node = node.childNodes[0];
  assert.equal(events.length, 1);
  assert.equal(node.attributes.type, 'text');
});
