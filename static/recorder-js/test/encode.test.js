// Text changes that show a number are written as a difference, within a
// batch, and only where the difference gives back exactly the text.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { batchStart, eventJson, stepText } from '../src/encode.js'
import { numApply, numDiff } from '../src/text.js'

const vectors = JSON.parse(readFileSync(new URL('./numbers.json', import.meta.url), 'utf8'))

test('numbers in text are read and rebuilt as the server does (shared vectors)', () => {
  for (const [s, k, want] of vectors.apply) assert.equal(numApply(s, k), want === null ? undefined : want, `${s} + ${k}`)
  for (const [a, b, want] of vectors.diff) assert.equal(numDiff(a, b), want === null ? undefined : want, `${a} -> ${b}`)
  for (const [steps, text] of vectors.steps) assert.equal(stepText(steps), text, `${steps}`)
})

const change = (texts) => ({ type: 3, timestamp: 1, data: { source: 0, texts, attributes: [], removes: [], adds: [] } })

test('a text change is a difference only after the same node showed a number in the same batch', () => {
  batchStart()
  const first = JSON.parse(eventJson(change([{ id: 7, value: '264.87' }, { id: 8, value: 'Paid' }])))
  assert.deepEqual(first.data.texts, [{ id: 7, value: '264.87' }, { id: 1, value: 'Paid' }])
  const second = JSON.parse(eventJson(change([{ id: 7, value: '264.91' }, { id: 8, value: 'Shipped' }, { id: 9, value: '3' }])))
  assert.deepEqual(second.data.texts, [{ id: 8, value: 'Shipped' }, { id: 1, value: '3' }])
  assert.deepEqual(second.data.textSteps, [[7], stepText([4])], 'the step in its columns')
  const third = JSON.parse(eventJson(change([{ id: 7, value: '****' }, { id: 9, value: null }])))
  assert.deepEqual(third.data.texts, [{ id: 7, value: '****' }, { id: 2, value: null }])
  batchStart()
  const next = JSON.parse(eventJson(change([{ id: 7, value: '265.00' }])))
  assert.deepEqual(next.data.texts, [{ id: 7, value: '265.00' }])
})

test('steps are written in two columns, ids as differences, unless a node changes twice in one change', () => {
  batchStart()
  eventJson(change([{ id: 20, value: '1.00' }, { id: 22, value: '+0.10' }, { id: 30, value: '7' }, { id: 31, value: 'x' }]))
  const e = JSON.parse(eventJson(change([{ id: 20, value: '1.05' }, { id: 31, value: 'y' }, { id: 22, value: '+0.15' }, { id: 30, value: '9' }])))
  assert.deepEqual(e.data.texts, [{ id: 31, value: 'y' }])
  assert.deepEqual(e.data.textSteps, [[20, 2, 8], stepText([5, 5, 2])])
  const twice = JSON.parse(eventJson(change([{ id: 20, value: '1.06' }, { id: 20, value: '1.06' }])))
  assert.deepEqual(twice.data.texts, [{ id: 20, n: 1 }, { id: 0, value: '1.06' }])
  assert.equal(twice.data.textSteps, undefined)
  const none = JSON.parse(eventJson(change([{ id: 31, value: 'z' }])))
  assert.equal(none.data.textSteps, undefined)
})

test("rrweb's own mutation objects are left as they were", () => {
  batchStart()
  eventJson(change([{ id: 3, value: '1' }]))
  const texts = [{ id: 3, value: '2' }]
  const e = change(texts)
  eventJson(e)
  assert.equal(e.data.texts, texts)
  assert.deepEqual(texts, [{ id: 3, value: '2' }])
})

test('a text node that replaces another steps from the one removed from the same parent', () => {
  batchStart()
  const change = (removes, adds) => ({ type: 3, timestamp: 1, data: { source: 0, texts: [], attributes: [], removes, adds } })
  const text = (parentId, id, textContent) => ({ parentId, nextId: null, node: { type: 3, textContent, id } })
  eventJson(change([], [text(1, 10, '99.50'), text(2, 11, '7'), text(2, 12, '8')]))
  const e = change(
    [{ parentId: 1, id: 10 }, { parentId: 2, id: 11 }, { parentId: 2, id: 12 }],
    [text(1, 13, '99.75'), text(2, 14, '9'), { parentId: 1, nextId: null, node: { type: 2, tagName: 'b', attributes: {}, childNodes: [], id: 15 } }]
  )
  const out = JSON.parse(eventJson(e)).data.adds.map((a) => a.node)
  assert.deepEqual(out[0], { type: 3, id: 1, n: 25 }) // ids: differences (13 after 12)
  assert.deepEqual(out[1], { type: 3, textContent: '9', id: 1 }, 'two text nodes left that parent: no step')
  assert.equal(e.data.adds[0].node.textContent, '99.75', "rrweb's node is left as it was")
})

test('attribute changes of one attribute each, ids ascending, are written in columns by name', () => {
  batchStart()
  const attrs = (attributes) => ({ type: 3, timestamp: 1, data: { source: 0, texts: [], attributes, removes: [], adds: [] } })
  const items = [
    { id: 4, attributes: { class: 'up' } },
    { id: 6, attributes: { style: 'width: 40%;' } },
    { id: 9, attributes: { class: 'down' } },
    { id: 10, attributes: { hidden: null } },
    { id: 12, attributes: { class: 'up' } },
  ]
  const e = attrs(items)
  const out = JSON.parse(eventJson(e)).data
  assert.deepEqual(out.attributes, [])
  assert.deepEqual(out.attrColumns, [['class', [4, 5, 3], ['up', 'down', 'up']], ['style', [6], ['width: 40%;']], ['hidden', [10], [null]]])
  assert.equal(e.data.attributes, items, "rrweb's list is left as it was")
  assert.deepEqual(items[0], { id: 4, attributes: { class: 'up' } })
  // Anything else stays as rrweb wrote it (its ids as differences, as every id).
  for (const other of [
    [{ id: 4, attributes: { class: 'up', title: 'x' } }, { id: 6, attributes: { class: 'up' } }], // two attributes
    [{ id: 6, attributes: { class: 'up' } }, { id: 4, attributes: { class: 'up' } }], // ids descend
    [{ id: 4, attributes: { class: 'up' } }, { id: 4, attributes: { title: 'x' } }], // one node twice
    [{ id: 4, attributes: { style: { color: 'red' } } }], // a style diff
  ]) {
    const d = JSON.parse(eventJson(attrs(other))).data
    assert.equal(d.attrColumns, undefined, JSON.stringify(other))
    assert.equal(d.attributes.length, other.length)
  }
})
