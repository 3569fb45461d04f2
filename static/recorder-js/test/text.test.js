// Cutting text never leaves half an emoji (a lone surrogate) behind.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { consoleMessage } from '../src/capture/console.js'
import { normalizeTags } from '../src/commands.js'
import { cut } from '../src/text.js'

const lone = (s) => /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s)

test('cut keeps whole code points', () => {
  for (const [s, n, want] of [
    ['abc', 5, 'abc'],
    ['abcdef', 3, 'abc'],
    ['ab😀', 3, 'ab'],
    ['ab😀', 4, 'ab😀'],
    ['😀😀', 3, '😀'],
    [42, 1, '4'],
  ]) assert.equal(cut(s, n), want)
})

test('a console message cut at its limit ends before an emoji, not inside it', () => {
  for (let pad = 490; pad < 510; pad++) {
    const message = consoleMessage(['x'.repeat(pad) + '🔥🔥🔥'])
    assert.ok(!lone(message), `lone surrogate with ${pad} characters before the emoji`)
    assert.ok(message.length <= 500)
  }
  assert.ok(!lone(consoleMessage(Array(5).fill('y'.repeat(498) + '😀'))))
})

test('tag values are cut the same way', () => {
  const tags = normalizeTags({ plan: 'z'.repeat(499) + '😀' })
  assert.ok(!lone(Object.values(tags)[0]))
})
