// Text changes that show a number are written as a difference, within a
// batch, and only where the difference gives back exactly the text.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { batchStart, eventJson } from '../src/encode.js'
import { numApply, numDiff } from '../src/text.js'

const vectors = JSON.parse(readFileSync(new URL('./numbers.json', import.meta.url), 'utf8'))

test('numbers in text are read and rebuilt as the server does (shared vectors)', () => {
  for (const [s, k, want] of vectors.apply) assert.equal(numApply(s, k), want === null ? undefined : want, `${s} + ${k}`)
  for (const [a, b, want] of vectors.diff) assert.equal(numDiff(a, b), want === null ? undefined : want, `${a} -> ${b}`)
})

const change = (texts) => ({ type: 3, timestamp: 1, data: { source: 0, texts, attributes: [], removes: [], adds: [] } })

test('a text change is a difference only after the same node showed a number in the same batch', () => {
  batchStart()
  const first = JSON.parse(eventJson(change([{ id: 7, value: '264.87' }, { id: 8, value: 'Paid' }])))
  assert.deepEqual(first.data.texts, [{ id: 7, value: '264.87' }, { id: 1, value: 'Paid' }])
  const second = JSON.parse(eventJson(change([{ id: 7, value: '264.91' }, { id: 8, value: 'Shipped' }, { id: 9, value: '3' }])))
  assert.deepEqual(second.data.texts, [{ id: 7, n: 4 }, { id: 1, value: 'Shipped' }, { id: 1, value: '3' }])
  const third = JSON.parse(eventJson(change([{ id: 7, value: '****' }, { id: 9, value: null }])))
  assert.deepEqual(third.data.texts, [{ id: 7, value: '****' }, { id: 2, value: null }])
  batchStart()
  const next = JSON.parse(eventJson(change([{ id: 7, value: '265.00' }])))
  assert.deepEqual(next.data.texts, [{ id: 7, value: '265.00' }])
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
