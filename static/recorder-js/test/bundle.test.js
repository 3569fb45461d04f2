// The gzipped bundle must stay within budget (rrweb's record is most of it).
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { gzipSync } from 'node:zlib'
import { bundle, cuts } from '../build.mjs'

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

// build.mjs rewrites rrweb's test of what a snapshot leaves out (for slimDOMOptions 'all'): it must leave
// out exactly what rrweb's own leaves out, a meta csrf-token among them.
test("the build's slimDOMExcluded leaves out what rrweb's does with slimDOMOptions 'all'", () => {
  const rrweb = readFileSync(new URL('../node_modules/@rrweb/record/dist/record.js', import.meta.url), 'utf8')
  const [re, ours] = cuts.find(([re]) => re.source.startsWith('^function slimDOMExcluded'))
  const helpers = ['lowerIfExists', 'extractFileExtension', 'slimDOMDefaults'].map((f) => rrweb.match(new RegExp(`^function ${f}\\([\\s\\S]*?^}\\n`, 'm'))[0])
  const make = (fn) => new Function('NodeType', `${helpers.join('')}${fn}; return (sn) => slimDOMExcluded(sn, slimDOMDefaults('all'))`)({ Element: 2, Text: 3, Comment: 5 })
  const theirs = make(rrweb.match(re)[0])
  const mine = make(ours)
  const el = (tagName, attributes) => ({ type: 2, tagName, attributes })
  const names = ['csrf-token', 'CSRF-Token', 'description', 'my-description', 'keywords', 'nokeywords', 'og:title', 'twitter:card',
    'Robots', 'googlebot', 'bingbot', 'pinterest', 'author', 'generator', 'framework', 'publisher', 'progid', 'application-name',
    'msapplication-TileImage', 'msapplication-tilecolor', 'msapplication-config', 'google-site-verification', 'yandex-verification',
    'p:domain_verify', 'verify-v1', 'verification', 'shopify-checkout-api-token', 'viewport', 'theme-color', 'x-robots', '']
  const cases = [{ type: 5, textContent: 'x' }, { type: 3, textContent: ' ' }, { type: 0 }, el('script', {}), el('div', {}), el('meta', {}),
    ...names.flatMap((name) => [el('meta', { name }), el('meta', { name, content: 'v' }), el('link', { name })]),
    ...['og:image', 'fb:app_id', 'twitter:x', 'article:author', 'product:price', 'book:isbn', 'OG:Title'].map((property) => el('meta', { property })),
    ...['icon', 'Icon', 'apple-touch-icon', 'shortcut icon', 'Shortcut Icon', 'stylesheet', 'preload', 'modulepreload', 'prefetch', 'manifest'].flatMap((rel) =>
      [el('link', { rel }), el('meta', { rel }), el('link', { rel, as: 'script' }), el('link', { rel, as: 'style' }),
        el('link', { rel, href: 'https://cdn.example/app.js' }), el('link', { rel, href: '/a.JS?x=1' }), el('link', { rel, href: '/a.css' })]),
    el('meta', { 'http-equiv': 'refresh' }), el('meta', { 'http-equiv': '' }), el('link', { 'http-equiv': 'refresh' })]
  for (const sn of cases) assert.equal(mine(sn), theirs(sn), JSON.stringify(sn))
  assert.equal(cases.filter(mine).length > 60, true)
})
