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

test('a slider, a colour or a number whose value is not masked keeps its type; an empty one may be masked later', () => {
  const fields = [input(2, 'range', '90'), input(3, 'color', '#00ff00'), input(4, 'number', '42'), input(5, 'date', ''),
    input(6, 'time', undefined), input(7, 'range', '**')];
  masksVisible([{ type: 2, timestamp: 1, data: { node: { type: 0, id: 1, childNodes: fields } } }]);
  assert.deepEqual(fields.map((n) => n.attributes.type), ['range', 'color', 'number', 'text', 'text', 'text']);
});

test('a page thousands of elements deep is walked without recursion', () => {
  let node = input(9, 'number', '*');
  for (let id = 10; id < 30000; id++) node = { type: 2, tagName: 'div', id, attributes: {}, childNodes: [node] };
  const events = masksVisible([{ type: 2, timestamp: 1, data: { node } }]);
  while (node.childNodes.length) node = node.childNodes[0];
  assert.equal(events.length, 1);
  assert.equal(node.attributes.type, 'text');
});

const option = (id, text, value) => ({ type: 2, tagName: 'option', id, attributes: value === undefined ? {} : { value },
  childNodes: [{ type: 3, id: id + 1000, textContent: text }] });
const select = (id, value, options) => ({ type: 2, tagName: 'select', id, attributes: value === undefined ? {} : { value }, childNodes: options });
const masks = (node) => node.childNodes.filter((c) => c.attributes && 'data-hindsight-mask' in c.attributes)
  .map((c) => [c.attributes.value, c.childNodes.map((t) => t.textContent).join(''), 'selected' in c.attributes, 'hidden' in c.attributes]);

test('a select whose value was masked gets hidden options showing the mask, one per length, the value selected', () => {
  const masked = select(2, '*****', [option(3, 'Small', 's'), option(4, 'Large'), { type: 2, tagName: 'optgroup', id: 5,
    attributes: {}, childNodes: [option(6, '  Extra   large ')] }]);
  const plain = select(7, 'Large', [option(8, 'Small'), option(9, 'Large')]);
  const empty = select(10, undefined, [option(11, 'No')]);
  masksVisible([{ type: 2, timestamp: 1, data: { node: { type: 0, id: 1, childNodes: [masked, plain, empty] } } }]);
  assert.deepEqual(masks(masked).sort((a, b) => a[0].length - b[0].length),
    [['*', '*', false, true], ['*****', '*****', true, true], ['***********', '***********', false, true]]);
  assert.deepEqual(masks(plain), [], 'a value recorded as it is needs no mask');
  assert.deepEqual(masks(empty), [['**', '**', false, true]]);
  const ids = [masked, empty].flatMap((s) => s.childNodes.slice(-3)).filter((c) => c.attributes['data-hindsight-mask'] === '')
    .flatMap((c) => [c.id, c.childNodes[0].id]);
  assert.equal(new Set(ids).size, ids.length, 'each added node has an id of its own');
  assert.ok(ids.every((id) => id > 2 ** 31), 'above any id a recorder gives');
});

test('options added by a DOM change get a mask option of their length beside them, once, as adds of their own', () => {
  const change = (adds) => ({ type: 3, timestamp: 2, data: { source: 0, texts: [], removes: [], attributes: [], adds } });
  const flat = (parentId, node) => ({ parentId, nextId: null, node: { ...node, childNodes: [] } });
  const first = change([
    flat(1, select(20, '***', [])),
    flat(20, option(21, '')), { parentId: 21, nextId: null, node: { type: 3, id: 22, textContent: 'Oslo' } },
    flat(20, option(23, '')), { parentId: 23, nextId: null, node: { type: 3, id: 24, textContent: 'Rome' } },
  ]);
  const second = change([flat(20, option(25, '')), { parentId: 25, nextId: null, node: { type: 3, id: 26, textContent: 'Lisbon' } },
    flat(20, option(27, '', 'pt-lx'))]);
  const snapshotAgain = { type: 2, timestamp: 3, data: { node: { type: 0, id: 1, childNodes: [] } } };
  const third = change([flat(20, option(28, '', 'Reykjavik'))]);
  const fourth = change([flat(20, option(29, '', 'Bergen'))]);
  masksVisible([first, second, snapshotAgain, third]);
  masksVisible([fourth]);
  const added = (e) => {
    const nodes = new Map(e.data.adds.map((a) => [a.node.id, a]));
    return e.data.adds.filter((a) => a.node.attributes && 'data-hindsight-mask' in a.node.attributes).map((a) => {
      const text = e.data.adds.find((t) => t.parentId === a.node.id);
      assert.ok(nodes.has(a.node.id) && a.node.childNodes.length === 0, 'the replayer builds an added node without its children');
      return [a.parentId, a.node.attributes.value, text && text.node.textContent, 'selected' in a.node.attributes];
    });
  };
  assert.deepEqual(added(first), [[20, '****', '****', false], [20, '***', '***', true]]);
  assert.deepEqual(added(second), [[20, '******', '******', false], [20, '*****', '*****', false]]);
  assert.deepEqual(added(third), [[20, '*********', '*********', false]], 'a new snapshot: given anew');
  assert.deepEqual(added(fourth), [[20, '******', '******', false]], 'each part on its own');
});
