import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createIndex, indexEvents, searchIndex } from '../src/textindex.js';

const T0 = 1764183000000;
const text = (id, textContent, extra = {}) => ({ type: 3, id, textContent, ...extra });
const el = (id, tagName, attributes, childNodes = []) => ({ type: 2, id, tagName, attributes, childNodes });
const snapshot = {
  type: 2,
  timestamp: T0,
  data: {
    node: {
      type: 0,
      id: 1,
      childNodes: [
        el(2, 'html', {}, [
          el(3, 'head', {}, [el(4, 'style', {}, [text(5, '.Invoice { color: red }', { isStyle: true })]), el(6, 'script', {}, [text(7, 'var invoice = 1')])]),
          el(8, 'body', {}, [el(9, 'h1', {}, [text(10, 'Your Invoice')]), el(11, 'input', { placeholder: 'Invoice number', class: 'invoice-box' })]),
        ]),
      ],
    },
  },
};
const mutation = {
  type: 3,
  timestamp: T0 + 4000,
  data: {
    source: 0,
    adds: [{ parentId: 8, nextId: null, node: el(20, 'p', {}, [text(21, 'Invoice #42 was paid')]) }],
    texts: [{ id: 10, value: 'Receipt' }],
    attributes: [{ id: 11, attributes: { title: 'Download receipt', style: 'color: red' } }],
    removes: [],
  },
};
const input = { type: 3, timestamp: T0 + 6000, data: { source: 5, id: 11, text: 'INV-7', isChecked: false } };

function index() {
  return indexEvents(createIndex(T0), [snapshot, mutation, input]);
}

test('finds snapshot text once per moment, case-insensitively, ignoring styles and scripts', () => {
  const results = searchIndex(index(), 'invoice');
  assert.deepEqual(results.map((r) => r.time), [0, 4000]);
  assert.deepEqual(results[0].snippet, ['Your ', 'Invoice', '']);
  assert.equal(results[0].more, 1); // the placeholder, not the class, style or script
});

test('finds text changes, readable attributes and typed values at their moment', () => {
  assert.deepEqual(searchIndex(index(), 'receipt').map((r) => r.time), [4000]);
  assert.deepEqual(searchIndex(index(), 'inv-7').map((r) => r.time), [6000]);
  assert.deepEqual(searchIndex(index(), 'color'), []);
});

test('long text is cut around the match', () => {
  const long = { type: 3, timestamp: T0 + 1, data: { source: 0, adds: [{ node: text(30, `${'a'.repeat(100)} needle ${'b'.repeat(100)}`) }] } };
  const [result] = searchIndex(indexEvents(createIndex(T0), [long]), 'needle', { context: 5 });
  assert.deepEqual(result.snippet, ['…aaaa ', 'needle', ' bbbb…']);
});

test('an empty query finds nothing', () => {
  assert.deepEqual(searchIndex(index(), '   '), []);
});

test('deep snapshots do not overflow the stack', () => {
  let node = text(1, 'bottom');
  for (let i = 0; i < 20000; i++) node = el(i + 2, 'div', {}, [node]);
  const deep = { type: 2, timestamp: T0, data: { node } };
  assert.equal(searchIndex(indexEvents(createIndex(T0), [deep]), 'bottom').length, 1);
});
