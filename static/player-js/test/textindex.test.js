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

// A page whose markup hides text in each way it can, then shows it: each at its own moment.
function hidingPage() {
  const body = el(2, 'body', {}, [
    el(3, 'p', { hidden: '' }, [text(4, 'Coupon by attribute')]),
    el(5, 'p', { style: 'color: red; display:none !important' }, [text(6, 'Coupon by style')]),
    el(7, 'details', {}, [el(8, 'summary', {}, [text(9, 'More offers')]), el(10, 'p', {}, [text(11, 'Coupon in details')])]),
    el(12, 'dialog', {}, [text(13, 'Coupon in dialog')]),
    el(14, 'input', { type: 'hidden', value: 'Coupon token' }),
    el(15, 'div', { style: 'visibility: hidden' }, [el(16, 'span', {}, [text(17, 'Coupon invisible')])]),
    el(18, 'p', {}, [text(19, 'Coupon shown')]),
  ]);
  return { type: 2, timestamp: T0, data: { node: { type: 0, id: 1, childNodes: [body] } } };
}
const mutate = (at, changes) => ({ type: 3, timestamp: T0 + at, data: { source: 0, adds: [], removes: [], texts: [], attributes: [], ...changes } });
const timesOf = (idx, query) => searchIndex(idx, query).map((r) => [r.time, r.snippet[0] + r.snippet[1] + r.snippet[2]]);

test('text the markup hides is not found while hidden', () => {
  const idx = indexEvents(createIndex(T0), [hidingPage()]);
  assert.deepEqual(timesOf(idx, 'coupon'), [[0, 'Coupon shown']]);
  assert.deepEqual(timesOf(idx, 'more offers'), [[0, 'More offers']]); // a closed <details> shows its summary
  assert.equal(searchIndex(idx, 'coupon')[0].more, 0);
});

test('hidden text is found at the moment a change shows it, each way', () => {
  const reveals = [
    ['Coupon by attribute', { id: 3, attributes: { hidden: null } }],
    ['Coupon by style', { id: 5, attributes: { style: { display: false } } }],
    ['Coupon in details', { id: 7, attributes: { open: '' } }],
    ['Coupon in dialog', { id: 12, attributes: { open: '', rr_open_mode: 'modal' } }],
    ['Coupon invisible', { id: 15, attributes: { style: 'visibility: visible' } }],
  ];
  reveals.forEach(([shown, change], i) => {
    const idx = indexEvents(createIndex(T0), [hidingPage(), mutate(1000 * (i + 1), { attributes: [change] })]);
    assert.deepEqual(timesOf(idx, 'coupon'), [[0, 'Coupon shown'], [1000 * (i + 1), shown]], shown);
  });
});

test('text added or changed inside something hidden is found only once it shows', () => {
  const idx = indexEvents(createIndex(T0), [
    hidingPage(),
    mutate(1000, { adds: [{ parentId: 3, nextId: null, node: text(40, 'Coupon added') }], texts: [{ id: 11, value: 'Coupon changed' }] }),
    mutate(2000, { attributes: [{ id: 3, attributes: { hidden: null } }] }),
    mutate(3000, { attributes: [{ id: 3, attributes: { style: 'display: none' } }] }),
    mutate(4000, { adds: [{ parentId: 3, nextId: null, node: text(41, 'Coupon late') }] }),
    mutate(5000, { attributes: [{ id: 7, attributes: { open: '' } }] }),
  ]);
  assert.deepEqual(timesOf(idx, 'coupon'), [[0, 'Coupon shown'], [2000, 'Coupon by attribute'], [5000, 'Coupon changed']]);
  assert.equal(searchIndex(idx, 'coupon')[1].more, 1); // and "Coupon added"
});

test('a typed value is found only when its field shows', () => {
  const idx = indexEvents(createIndex(T0), [
    hidingPage(),
    mutate(500, { adds: [{ parentId: 5, nextId: null, node: el(50, 'input', {}) }, { parentId: 18, nextId: null, node: el(51, 'input', {}) }] }),
    { type: 3, timestamp: T0 + 1000, data: { source: 5, id: 50, text: 'Coupon typed hidden' } },
    { type: 3, timestamp: T0 + 2000, data: { source: 5, id: 51, text: 'Coupon typed' } },
  ]);
  assert.deepEqual(timesOf(idx, 'coupon typed'), [[2000, 'Coupon typed']]);
});

test('removed nodes leave the index mirror', () => {
  const idx = indexEvents(createIndex(T0), [hidingPage(), mutate(1000, { removes: [{ parentId: 2, id: 7 }] })]);
  assert.equal(idx.nodes.has(7) || idx.nodes.has(11), false);
  assert.equal(idx.nodes.get(2).children.size, 6);
});
