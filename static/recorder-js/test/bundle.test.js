// The gzipped bundle must stay within budget (rrweb's record is most of it).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { gzipSync } from 'node:zlib'
import { bundle } from '../build.mjs'

const BUDGET = 30 * 1024

test('the gzipped bundle stays under 30 KB', async () => {
  const size = gzipSync(await bundle(), { level: 9 }).length
  assert.ok(size < BUDGET, `bundle is ${size} bytes gzipped, budget ${BUDGET}`)
})

test('the bundle reads its config from the free variable __hsc and uses no eval', async () => {
  const js = await bundle()
  assert.match(js, /typeof __hsc/)
  assert.doesNotMatch(js, /\beval\(|new Function\(/)
})
