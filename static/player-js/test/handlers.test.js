import { test } from 'node:test';
import assert from 'node:assert/strict';
import { handlersInert } from '../src/handlers.js';

const el = (id, attributes, childNodes = []) => ({ type: 2, tagName: 'div', id, attributes, childNodes });

test("a snapshot's, an added node's and a changed attribute's handlers are renamed; other attributes stay", () => {
  const inner = el(3, { onclick: 'a()', ONSUBMIT: 'b()', 'one-time': 'x', on: 'y', class: 'c' });
  const snapshot = { type: 2, timestamp: 1, data: { node: { type: 0, id: 1, childNodes: [el(2, { onload: 'i()' }, [inner])] } } };
  const mutation = { type: 3, timestamp: 2, data: { source: 0, texts: [], removes: [],
    adds: [{ parentId: 2, nextId: null, node: el(4, { onerror: 'e()' }) }],
    attributes: [{ id: 3, attributes: { oninput: null, title: 't' } }] } };
  const click = { type: 3, timestamp: 3, data: { source: 2, type: 2, id: 3 } };
  handlersInert([snapshot, mutation, click]);
  assert.deepEqual(snapshot.data.node.childNodes[0].attributes, { _onload: 'i()' });
  assert.deepEqual(inner.attributes, { 'one-time': 'x', on: 'y', class: 'c', _onclick: 'a()', _ONSUBMIT: 'b()' });
  assert.deepEqual(mutation.data.adds[0].node.attributes, { _onerror: 'e()' });
  assert.deepEqual(mutation.data.attributes[0].attributes, { title: 't', _oninput: null });
  assert.deepEqual(click.data, { source: 2, type: 2, id: 3 });
});

test('a page thousands of elements deep is walked without recursion', () => {
  let node = el(1, { onclick: 'x()' });
  for (let id = 2; id < 30000; id++) node = el(id, {}, [node]);
  handlersInert([{ type: 2, timestamp: 1, data: { node } }]);
  while (node.childNodes.length) node = node.childNodes[0];
  assert.deepEqual(node.attributes, { _onclick: 'x()' });
});

test("a file loaded with CORS loads as a plain one in the replay's frame: crossorigin is renamed too", () => {
  const img = { type: 2, tagName: 'img', id: 2, attributes: { src: 'https://cdn.example/p.png', crossorigin: 'anonymous' }, childNodes: [] };
  const mutation = { type: 3, timestamp: 2, data: { source: 0, texts: [], removes: [], adds: [],
    attributes: [{ id: 2, attributes: { crossOrigin: 'use-credentials' } }] } };
  handlersInert([{ type: 2, timestamp: 1, data: { node: { type: 0, id: 1, childNodes: [img] } } }, mutation]);
  assert.deepEqual(img.attributes, { src: 'https://cdn.example/p.png', _crossorigin: 'anonymous' });
  assert.deepEqual(mutation.data.attributes[0].attributes, { _crossOrigin: 'use-credentials' });
});
