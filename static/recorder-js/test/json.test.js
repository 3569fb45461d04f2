// A value too deep for the browser's JSON.stringify still becomes the same JSON text.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { stringify } from '../src/json.js'

const nested = (depth) => {
  const root = { type: 0, id: 1, childNodes: [] }
  let at = root
  for (let i = 2; i <= depth; i++) {
    const node = { type: 2, tagName: 'div', attributes: { 'data-n': i }, childNodes: [], id: i }
    at.childNodes.push(node)
    at = node
  }
  at.childNodes.push({ type: 3, textContent: 'bottom 😀', id: depth + 1 })
  return root
}

test('values JSON.stringify can write come out the same', () => {
  for (const v of [null, 1, 'a"b', [1, undefined, () => 1, NaN, Infinity], { a: undefined, b: [{}], c: { toJSON: () => 'x' } }]) {
    assert.equal(stringify(v), JSON.stringify(v))
  }
})

test('the fallback writes what JSON.stringify would', () => {
  const event = { type: 2, data: { node: nested(300), initialOffset: { top: 0, left: 0 }, when: new Date(0), no: undefined, n: NaN }, timestamp: 5 }
  const expected = JSON.stringify(event)
  // Force the fallback by making the first attempt throw as V8 does on deep values.
  const original = JSON.stringify
  let first = true
  JSON.stringify = function (...args) {
    if (first) {
      first = false
      throw new RangeError('Maximum call stack size exceeded')
    }
    return original.apply(this, args)
  }
  try {
    assert.equal(stringify(event), expected)
  } finally {
    JSON.stringify = original
  }
})

test('a snapshot thousands of levels deep is written, and reads back', () => {
  const event = { type: 2, data: { node: nested(20000), initialOffset: { top: 0, left: 0 } }, timestamp: 5 }
  assert.throws(() => JSON.stringify(event), RangeError)
  const text = stringify(event)
  assert.ok(text.startsWith('{"type":2,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":2'))
  let at = JSON.parse(text).data.node
  let depth = 1
  for (; at.childNodes && at.childNodes.length; depth++) at = at.childNodes[0]
  assert.deepEqual([depth, at], [20001, { type: 3, textContent: 'bottom 😀', id: 20001 }])
})

test("a page's toJSON on arrays (Prototype.js) neither changes what is written nor is lost", () => {
  const own = function () {
    return '[' + this.join(', ') + ']'
  }
  Object.defineProperty(Array.prototype, 'toJSON', { value: own, configurable: true, writable: true })
  try {
    assert.equal(stringify({ adds: [1, 2], node: { id: 3 } }), '{"adds":[1,2],"node":{"id":3}}')
    assert.equal(stringify([[1]]), '[[1]]')
    assert.equal(Array.prototype.toJSON, own) // the page's own, given back as it was
    assert.equal(Object.getOwnPropertyDescriptor(Array.prototype, 'toJSON').enumerable, false)
  } finally {
    delete Array.prototype.toJSON
  }
})
