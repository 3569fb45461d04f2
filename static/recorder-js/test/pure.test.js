// Table-driven tests of the recorder's pure modules (node --test, no DOM).
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { gunzipSync, gzipSync } from 'node:zlib'
import { backoffDelay, batchHead, planDrop } from '../src/batching.js'
import { consoleMessage, stringifyArg } from '../src/capture/console.js'
import { installQueue, normalizeTags, virtualPageArgs } from '../src/commands.js'
import { DEFAULTS, normalizeConfig } from '../src/config.js'
import { ID_KEYS, eventJson } from '../src/encode.js'
import { gzipNow } from '../src/gzip.js'
import { fnv1a32, isSampled, randomId, uuid4 } from '../src/ids.js'
import { crossable, hasCardNumber, hasLongNumber, luhnValid, maskCardNumbers, maskCards } from '../src/luhn.js'
import { navKind } from '../src/navigation.js'
import { pageAllowed, urlMatches } from '../src/patterns.js'
import { joinSelectors, starText, stars } from '../src/privacy.js'
import { createSessions } from '../src/session.js'
import { bodySize, pageUrl, paramsMasked, scrubUrl, secretName, urlMasks } from '../src/urls.js'

const loc = (href) => new URL(href)

test('url patterns match the whole href, or pathname+search when they start with /', () => {
  const cases = [
    ['/checkout*', 'https://a.com/checkout/step1', true],
    ['/checkout', 'https://a.com/checkout?x=1', false],
    ['/checkout*', 'https://a.com/cart?next=/checkout', false],
    ['/search?q=*', 'https://a.com/search?q=shoes', true],
    ['https://a.com/*', 'https://a.com/x', true],
    ['*.com/admin*', 'https://b.com/admin/users', true],
    ['https://a.com/', 'https://a.com/x', false],
    ['/a.b', 'https://a.com/aXb', false], // '.' is literal
    ['/(x)+', 'https://a.com/(x)+', true],
    ['*', 'https://a.com/anything', true],
  ]
  for (const [p, href, want] of cases) assert.equal(urlMatches(p, loc(href)), want, `${p} vs ${href}`)
})

test('include and exclude decide which pages are recorded', () => {
  const l = loc('https://a.com/account/settings')
  assert.equal(pageAllowed(l, [], []), true)
  assert.equal(pageAllowed(l, ['/account*'], []), true)
  assert.equal(pageAllowed(l, ['/shop*'], []), false)
  assert.equal(pageAllowed(l, [], ['/account/*']), false)
  assert.equal(pageAllowed(l, ['/account*'], ['*settings']), false)
})

test('fnv1a32 matches the reference vectors', () => {
  assert.equal(fnv1a32(''), 0x811c9dc5)
  assert.equal(fnv1a32('a'), 0xe40c292c)
  assert.equal(fnv1a32('foobar'), 0xbf9cf968)
})

test('sampling is stable per visitor and follows the rate', () => {
  const ids = Array.from({ length: 4000 }, (_, i) => 'visitor-' + i)
  assert.equal(ids.filter((v) => isSampled(v, 100)).length, 4000)
  assert.equal(ids.filter((v) => isSampled(v, 0)).length, 0)
  const quarter = ids.filter((v) => isSampled(v, 25)).length
  assert.ok(quarter > 800 && quarter < 1200, String(quarter))
  for (const v of ids.slice(0, 50)) assert.equal(isSampled(v, 37.5), fnv1a32(v) % 10000 < 3750)
})

test('ids: uuid v4 with or without crypto.randomUUID, visitor ids fit the protocol', () => {
  const re = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
  assert.match(uuid4(globalThis.crypto), re)
  assert.match(uuid4({ getRandomValues: (b) => globalThis.crypto.getRandomValues(b) }), re)
  assert.match(uuid4(undefined), re)
  assert.match(randomId(globalThis.crypto), /^[A-Za-z0-9_-]{16,64}$/)
  assert.notEqual(randomId(globalThis.crypto), randomId(globalThis.crypto))
})

test('luhn: card numbers are found and masked, other digit runs are left alone', () => {
  assert.equal(luhnValid('4111111111111111'), true)
  assert.equal(luhnValid('4111111111111112'), false)
  const cases = [
    ['4111 1111 1111 1111', true],
    ['card: 4111-1111-1111-1111 exp 12/30', true],
    ['5500005555555559', true],
    ['378282246310005', true], // Amex, 15 digits
    ['4111111111111113', false], // no 13-19 digit window passes Luhn
    ['phone 0123456789', false],
    ['4000.0566.5566.5556', true],
    ['4000\u00a00566\u00a05566\u00a05556', true], // no-break spaces
    ['4000\u202f0566\u20095566\u200a5556', true], // narrow, thin and hair spaces
    ['qty 2 4111 1111 1111 1111', true], // next to other digits
    ['ref 0099 4111111111111111', true],
    ['[ 0 .. 9223372036854776000 ]', false], // a long number: 13-19 of its digits pass Luhn by chance
    ['id 12345678901234567890123456789', false],
    ['1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20', false], // a pager
    ['started 1796233748.120', false], // a timestamp: its digits pass Luhn, but it is a decimal
    ['', false],
  ]
  for (const [text, want] of cases) assert.equal(hasCardNumber(text), want, text)
  assert.equal(maskCardNumbers('pay 4111 1111 1111 1111 now'), 'pay **** **** **** **** now')
  assert.equal(maskCardNumbers('id 4111111111111113'), 'id 4111111111111113')
})

test('luhn: a value holding more than six digits in a run is a card number being typed, or may be', () => {
  const cases = [
    ['4111 111', true], // a card number's first seven digits, as typed
    ['my card 5500 0055 5', true],
    ['4111111', true],
    ['phone 030 1234567', true],
    ['4111 11', false], // six: the issuer's prefix
    ['order 123456', false],
    ['2026-12-03', false], // a date
    ['12/03/2026 10:30', false],
    ['1 2 3 4 5 6 7 8', false], // single digits do not join
    ['total 1,234,567.89', false], // commas split a run
    ['', false],
  ]
  for (const [text, want] of cases) assert.equal(hasLongNumber(text), want, text)
})

test('luhn: a card number split across adjacent texts is masked in each', () => {
  assert.deepEqual(maskCards(['Card: 4012 8888', ' 8888 1881', ' ok']), ['Card: **** ****', ' **** ****', ' ok'])
  assert.deepEqual(maskCards(['4012 8888 ', '\n    ', '8888 1881']), ['**** **** ', '\n    ', '**** ****'])
  const plain = ['page 1', ' of 12']
  assert.equal(maskCards(plain), plain)
  // Numbers side by side in separate nodes are not one card number...
  for (const cells of [
    ['1800', '1850', '1900', '1950', '2000', '2050', '2100'],
    ['\n  1800\n', '\n  1850\n', '\n  1900\n', '\n  1950\n', '\n  2000\n'],
    ['19.94', '19.98', '19.96', '20.01', '19.97', '20.03'],
    ['143.23', '143.19', '143.23'], // as one text, 15 digits that pass the Luhn check
  ])
    assert.equal(maskCards(cells), cells)
  // ...but a card in one of them, or one group per node, still is.
  assert.deepEqual(maskCards(['2', ' 4111 1111 1111 1111', ' 12']), ['2', ' **** **** **** ****', ' 12'])
  assert.deepEqual(maskCards(['Card ', '4012', ' ', '8888', ' ', '8888', ' ', '1881']),
    ['Card ', '****', ' ', '****', ' ', '****', ' ', '****'])
})

test("luhn: digits of other scripts are read as digits and masked where they stand (privacy/scrub.py: the same)", () => {
  assert.equal(maskCardNumbers('کارت ۴۱۱۱ ۱۱۱۱ ۱۱۱۱ ۱۱۱۱'), 'کارت **** **** **** ****') // Persian
  assert.equal(maskCardNumbers('بطاقة ٤٠١٢٨٨٨٨٨٨٨٨١٨٨١'), 'بطاقة ****************') // Arabic-Indic
  assert.equal(maskCardNumbers('カード ４２４２ ４２４２ ４２４２ ４２４２'), 'カード **** **** **** ****') // full width
  assert.deepEqual(maskCards(['۴۰۱۲ ۸۸۸۸', ' ۸۸۸۸ ۱۸۸۱']), ['**** ****', ' **** ****'])
  const invalid = ['۴۱۱۱ ۱۱۱۱ ۱۱۱۱ ۱۱۱۲']
  assert.equal(maskCards(invalid), invalid)
  for (const [text, want] of [['تلفن ۰۹۱۲۳۴۵۶۷۸۹', true], ['０９０１２３４５６７８', true], ['کد ۱۲۳۴', false]]) assert.equal(hasLongNumber(text), want, text)
})

test('luhn: texts that no run can cross between, in any order, are told apart cheaply', () => {
  // Prices side by side, some negative: no order of them makes a run of 13 digits.
  assert.equal(crossable(['129.45', '-0.45', '+1.23', '12,345', '1234.56', '12:34:56', '3 selected', '248']), false)
  assert.equal(crossable(['4012 ', '8888 ', '8888 ', '1881']), true)
  assert.equal(crossable(['Card: 4012 8888', ' 8888 1881']), true)
  // At the edge: 13 digits from a tail into a head, and a card whose groups have 3 digits.
  // Dots, no-break and thin spaces are gaps in a run too.
  for (const parts of [['0710 3', '000 0000 0000 1', '', '25'], ['Card 4222 2222 ', '2222 2 ok'], ['401 ', '288 ', '888 ', '888 ', '1881'],
    ['4012.8888.', '8888.1881'], ['4012\u00a08888\u00a0', '8888\u20091881'], ['Card 4012 888 ', '888 881 881 ok']]) {
    assert.equal(crossable(parts), true, parts)
    assert.notDeepEqual(maskCards(parts), parts)
  }
  // Whatever texts it says no run crosses between, maskCards masks nothing across them in any
  // order: random texts made of card groups, prices, separators and words.
  let seed = 7
  const rnd = (n) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n)
  const bits = ['4012', '8888', '1881', '4111', '1111', ' ', '-', '.', '\u200b', ' - ', '12', '3', 'x', '129.45', '-0.45',
    '1234 ', ' 5678', '40128888', '88881881', 'Card: ', '\n  ', '401', '28',
    // 13 and 14 digits (4222 2222 2222 2, 3056 930902 5904) and texts with a head or a tail only
    '4222', '2222', '22222', '2', '3056', '930902', '5904', 'ok', 'Card: 4012 8888 ', '8888 1881 ok']
  let across = 0
  for (let trial = 0; trial < 20000; trial++) {
    const parts = Array.from({ length: 2 + rnd(6) }, () => Array.from({ length: 1 + rnd(3) }, () => bits[rnd(bits.length)]).join(''))
    if (trial % 8 === 0) parts.splice(trial % parts.length, 0, '') // an empty text joins its neighbours with no gap
    const cross = crossable(parts)
    for (let k = 0; k < 3; k++) {
      const order = parts.slice().sort(() => rnd(3) - 1)
      // maskCards(order, true) reads runs across the texts whatever crossable says; false, within each.
      const alone = maskCards(order, false)
      const differs = maskCards(order, true).some((p, i) => p !== alone[i])
      if (differs) across++
      if (!cross) assert.ok(!differs, JSON.stringify(order))
    }
  }
  assert.ok(across > 100, `only ${across} orders masked a run across texts: the check was hardly tried`)
})

test('request URLs lose query values, credentials and fragments', () => {
  const base = 'https://shop.test/page'
  assert.equal(scrubUrl('/api/x?token=abc&id=5#frag', base, false), 'https://shop.test/api/x?token=*&id=*')
  const kept = (names) => urlMasks(names).links
  // Kept by the site, query values go as they are, but for those that carry credentials or the site names.
  assert.equal(scrubUrl('/api/x?token=abc&id=5', base, true, kept([])), 'https://shop.test/api/x?token=*&id=5')
  assert.equal(scrubUrl('/api/x?q=tea&id=5', base, true, kept(['Q'])), 'https://shop.test/api/x?q=*&id=5')
  // `*` (every value) is for the page's own address only.
  assert.equal(scrubUrl('/api/x?q=tea', base, true, kept(['*'])), 'https://shop.test/api/x?q=tea')
  assert.equal(scrubUrl('https://u:p@other.test/a?secret', base, false), 'https://other.test/a?*')
  // A JSON Web Token in a request's path, whatever the site keeps of query strings.
  assert.equal(scrubUrl('/api/verify/eyJhbGciOi.eyJzdWIiOi.c2ln', base, false), 'https://shop.test/api/verify/*')
  assert.equal(scrubUrl('/a?', base, false), 'https://shop.test/a?')
  assert.equal(scrubUrl('http://[bad', base, false), '')
})

const URLS = JSON.parse(readFileSync(new URL('./urls.json', import.meta.url), 'utf8'))

test('URL parameters that carry credentials are told by their names (test/urls.json, shared with the server)', () => {
  for (const [name, secret] of URLS.names) assert.equal(secretName(name), secret, name)
})

test("the page's address loses credentials and the values the rules or the site mask (test/urls.json)", () => {
  for (const [url, names, sent] of URLS.page) assert.equal(pageUrl(url, urlMasks(names).page), sent, url)
  // Links and text: the credentials' values, and the site's names, never every value.
  const links = urlMasks(['*', 'q']).links
  assert.equal(paramsMasked('see https://a.test/x?q=1&p=2&token=abc here', links), 'see https://a.test/x?q=*&p=2&token=* here')
})

test('request body sizes are known when cheap, else -1', () => {
  assert.equal(bodySize(undefined), 0)
  assert.equal(bodySize('héllo'), 6)
  assert.equal(bodySize(new Uint8Array(7)), 7)
  assert.equal(bodySize(new ArrayBuffer(9)), 9)
  assert.equal(bodySize(new Blob(['abc'])), 3)
  assert.equal(bodySize(new URLSearchParams('a=1&b=2')), 7)
  assert.equal(bodySize(new FormData()), -1)
})

test('backoff doubles from 1 s to a 60 s cap, jittered over the upper half', () => {
  assert.equal(backoffDelay(1, 1), 1000)
  assert.equal(backoffDelay(1, 0), 500)
  assert.equal(backoffDelay(3, 1), 4000)
  assert.equal(backoffDelay(7, 1), 60000)
  assert.equal(backoffDelay(50, 0), 30000)
  for (let a = 1; a < 30; a++) assert.ok(backoffDelay(a, Math.random()) <= 60000)
})

test('gzip members made without waiting are gzip, alone and in a series, and compress', () => {
  let seed = 1
  const noise = Array.from({ length: 50000 }, () => String.fromCharCode(32 + ((seed = (seed * 48271) % 2147483647) % 95))).join('')
  const json = JSON.stringify(Array.from({ length: 300 }, (_, i) => ({ type: 3, data: { source: 1, positions: [{ x: i * 7, y: 400 - i, id: 12, timeOffset: -i }] }, timestamp: 1764183000000 + i })))
  const texts = ['', ']}', 'ab', 'aaaa', '{"v":1,"text":"h\u00e9llo \u2603 \ud83d\ude00"}', 'x'.repeat(70000) + 'y'.repeat(70000), noise, json, noise + json + noise]
  for (const t of texts) assert.equal(gunzipSync(gzipNow(t)).toString(), t)
  const series = Buffer.concat(texts.map((t) => gzipNow(t)))
  assert.equal(gunzipSync(series).toString(), texts.join(''))
  // Within a third of zlib's size on events' JSON, and never much over the text on noise.
  assert.ok(gzipNow(json).length < 3 * gzipSync(json).length, `${gzipNow(json).length} against ${gzipSync(json).length}`)
  assert.ok(gzipNow(json).length < json.length / 4)
  assert.ok(gzipNow(noise).length < noise.length * 1.13)
})

test('the memory cap drops the oldest batches, never the one in flight, then the buffer', () => {
  assert.deepEqual(planDrop([100, 100, 100], 0, 50, 400), { batches: 0, buffer: false })
  assert.deepEqual(planDrop([100, 100, 100], 0, 150, 400), { batches: 1, buffer: false })
  assert.deepEqual(planDrop([100, 100, 100], 1, 150, 250), { batches: 2, buffer: false })
  assert.deepEqual(planDrop([100], 1, 500, 200), { batches: 0, buffer: true })
})

test('a batch body is the protocol JSON', () => {
  const body = batchHead(12, { vid: 'v1234567', sid: 's', seq: 3 }, 99) + '{"type":4},{"type":2}' + ']}'
  assert.deepEqual(JSON.parse(body), { v: 1, wid: 12, vid: 'v1234567', sid: 's', seq: 3, sent: 99, events: [{ type: 4 }, { type: 2 }] })
})

test('tagSession takes a flag string or an object of primitives', () => {
  assert.deepEqual(normalizeTags('vip'), { vip: 'true' })
  assert.deepEqual(normalizeTags({ plan: 'pro', seats: 3, ok: true, skip: null, obj: {} }), { plan: 'pro', seats: '3', ok: 'true' })
  assert.equal(normalizeTags(''), null)
  assert.equal(normalizeTags([1, 2]), null)
  assert.equal(normalizeTags(42), null)
})

test('virtualPage defaults to the current page', () => {
  const l = loc('https://a.com/x')
  const doc = { title: 'T' }
  assert.deepEqual(virtualPageArgs(undefined, undefined, l, doc), { url: 'https://a.com/x', title: 'T' })
  assert.deepEqual(virtualPageArgs('/y', 'Y', l, doc), { url: 'https://a.com/y', title: 'Y' })
  assert.deepEqual(virtualPageArgs({ url: '/z' }, undefined, l, doc), { url: 'https://a.com/z', title: 'T' })
  assert.deepEqual(virtualPageArgs('http://[bad', 7, l, doc), { url: 'https://a.com/x', title: 'T' })
})

test('the __insp queue hands back queued commands and runs later ones at once', () => {
  const win = { __insp: [['wid', 1], ['identify', 'u']] }
  const ran = []
  const queued = installQueue(win, (c) => ran.push(c))
  assert.deepEqual(queued, [['wid', 1], ['identify', 'u']])
  assert.equal(win.__insp.push(['tagSession', 'a'], ['optOut']), 2)
  assert.deepEqual(ran, [['tagSession', 'a'], ['optOut']])
  assert.deepEqual(installQueue({}, () => {}), [])
})

test('config falls back to safe defaults for missing or mistyped keys', () => {
  const cfg = normalizeConfig({ wid: 5, maskAllInputs: 'no', include: ['/a', 3], sampleRate: NaN, endpoint: 'https://h/api' })
  assert.equal(cfg.wid, 5)
  assert.equal(cfg.maskAllInputs, true)
  assert.deepEqual(cfg.include, ['/a'])
  assert.equal(cfg.sampleRate, 100)
  assert.equal(cfg.honorDnt, true)
  assert.deepEqual(Object.keys(normalizeConfig(null)), Object.keys(DEFAULTS))
})

test('selector lists keep their valid parts', () => {
  const valid = (s) => !/[[]$|^\s*>/.test(s.trim()) && !s.includes('!!')
  assert.equal(joinSelectors('.a', '', valid), '.a')
  assert.equal(joinSelectors('.a', '#x, .y', valid), '.a,#x, .y')
  assert.equal(joinSelectors('.a', '#x,!!bad,.y', valid), '.a,#x,.y')
})

test('masking keeps the length', () => {
  assert.equal(stars('hunter2'), '*******')
  assert.equal(starText('Jane Doe\n'), '**** ***\n')
})

test('console arguments are stringified and truncated', () => {
  assert.equal(stringifyArg(new TypeError('boom')), 'TypeError: boom')
  assert.equal(stringifyArg({ a: 1 }), '{"a":1}')
  const circular = {}
  circular.self = circular
  assert.equal(stringifyArg(circular), '[object Object]')
  assert.equal(stringifyArg(undefined), 'undefined')
  assert.equal(consoleMessage(['x'.repeat(900)]).length, 500)
  assert.equal(consoleMessage(Array(10).fill('y'.repeat(600))).length, 2000)
})

test('a console argument keeps the first 500 characters of its JSON, as JSON.stringify writes it', () => {
  const values = [
    { a: 1, b: 'two', c: [1, null, true] },
    [1, 'x', undefined, () => 1, NaN, Infinity, -0],
    { nested: { deeper: [{ x: undefined, f() {}, y: 'é"\\\n' }] }, when: new Date(0), own: { toJSON: () => 'j' } },
    { long: 'y'.repeat(2000), after: 1 },
    Array.from({ length: 300 }, (_, i) => ({ id: i, tags: ['a', 'b'] })),
    Object.create({ inherited: 1 }, { own: { value: 2, enumerable: true }, hidden: { value: 3 } }),
  ]
  for (const v of values) assert.equal(consoleMessage([v]), consoleMessage([JSON.stringify(v)]))
})

test('a huge object logged to the console is read only as far as its message keeps', () => {
  // A page's store of 100,000 entries, each read through a getter, and the same behind a Proxy.
  let reads = 0
  const store = {}
  for (let i = 0; i < 100000; i++) Object.defineProperty(store, 'k' + i, { enumerable: true, get: () => (reads++, { id: i, name: 'item ' + i }) })
  const rows = new Proxy(Array.from({ length: 100000 }, (_, i) => [i, 'row ' + i]), { get: (t, k) => (reads++, t[k]) })
  for (const big of [{ store }, rows]) {
    const expected = consoleMessage(['state', JSON.stringify(big)])
    reads = 0
    assert.equal(consoleMessage(['state', big]), expected)
    assert.ok(reads < 200, `${reads} reads`)
  }
})

test('popstate within the page is a hash navigation, replaceState within it a fragment', () => {
  assert.equal(navKind('pop', 'https://a/x#1', 'https://a/x#2'), 'hash')
  assert.equal(navKind('pop', 'https://a/x', 'https://a/y'), 'pop')
  assert.equal(navKind('push', 'https://a/x', 'https://a/x#2'), 'push')
  assert.equal(navKind('replace', 'https://a/x#intro', 'https://a/x#usage'), 'fragment')
  assert.equal(navKind('replace', 'https://a/x', 'https://a/x#usage'), 'fragment')
  assert.equal(navKind('replace', 'https://a/x#usage', 'https://a/y#usage'), 'replace')
  assert.equal(navKind('replace', 'https://a/x?a=1', 'https://a/x?a=2'), 'state')
  assert.equal(navKind('replace', 'https://a/x', 'https://a/x?q=tea#top'), 'state')
  assert.equal(navKind('push', 'https://a/x?a=1', 'https://a/x?a=2'), 'push')
  assert.equal(navKind('replace', 'https://a/x?a=1', 'https://a/y?a=1'), 'replace')
})

test('a hash router\'s routes are paths: replacing or popping one is a navigation', () => {
  assert.equal(navKind('replace', 'https://a/#/cart', 'https://a/#/login'), 'replace')
  assert.equal(navKind('replace', 'https://a/#!/cart', 'https://a/#!/login'), 'replace')
  assert.equal(navKind('replace', 'https://a/', 'https://a/#/login'), 'replace')
  assert.equal(navKind('pop', 'https://a/#/cart', 'https://a/#/'), 'pop')
  assert.equal(navKind('replace', 'https://a/?x=1#/cart', 'https://a/?x=2#/cart'), 'state')
  assert.equal(navKind('replace', 'https://a/#/cart', 'https://a/#/cart?step=2'), 'state')
  assert.equal(navKind('push', 'https://a/#/cart', 'https://a/#/cart?step=2'), 'push')
  assert.equal(navKind('replace', 'https://a/#/cart', 'https://a/#/cart#total'), 'replace')
  assert.equal(navKind('replace', 'https://a/#/docs', 'https://a/#/docs'), 'fragment')
})

function memoryStore() {
  const m = new Map()
  return {
    m,
    get: (k) => (m.has(k) ? JSON.parse(m.get(k)) : null),
    set: (k, v) => (m.set(k, JSON.stringify(v)), true),
    peek: (k) => (m.has(k) ? m.get(k) : null),
    del: (k) => m.delete(k),
  }
}

test('a session spans page loads until the inactivity timeout or the maximum age', () => {
  const store = memoryStore()
  const cfg = { wid: 1, sessionTimeoutMin: 30, maxSessionHours: 1 }
  const min = 60000
  const a = createSessions(store, cfg, globalThis.crypto)
  const s1 = a.current(0, 0)
  assert.equal(a.reserve(1000, 1000).seq, 0)
  assert.equal(a.reserve(2000, 1000).seq, 1)
  // another page load (or tab) continues it, with the next seq
  const b = createSessions(store, cfg, globalThis.crypto)
  assert.equal(b.current(20 * min, 20 * min).sid, s1.sid)
  assert.deepEqual(b.reserve(20 * min, 20 * min), { sid: s1.sid, start: 0, seq: 2, end: 0 })
  assert.equal(a.reserve(21 * min, 0).seq, 3) // tabs never reuse a seq
  // 31 minutes without activity: a new session from seq 0
  const s2 = b.reserve(52 * min, 20 * min)
  assert.notEqual(s2.sid, s1.sid)
  assert.equal(s2.seq, 0)
  // and never longer than maxSessionHours, even when active
  const s3 = b.reserve(52 * min + 3600001, 52 * min + 3600001)
  assert.notEqual(s3.sid, s2.sid)
})

test("a site's logout that clears storage ends the session for the next person, not for this page", () => {
  const store = memoryStore()
  const cfg = { wid: 1, sessionTimeoutMin: 30, maxSessionHours: 24 }
  const alice = createSessions(store, cfg, globalThis.crypto)
  alice.visitor()
  const first = alice.reserve(1000, 1000)
  store.m.clear() // localStorage.clear() on logging out
  assert.equal(alice.reserve(2000, 2000).sid, first.sid) // this page's last events are still hers
  const bob = createSessions(store, cfg, globalThis.crypto)
  assert.notEqual(bob.visitor(), alice.visitor())
  assert.notEqual(bob.reserve(3000, 3000).sid, first.sid) // the next person's visit is a session of its own
  // Storage cleared of our session alone (not a logout): the page hands its session on as before.
  const carol = createSessions(store, cfg, globalThis.crypto)
  carol.visitor()
  const c1 = carol.reserve(4000, 4000)
  store.m.delete('ses_1')
  carol.reserve(5000, 5000)
  assert.equal(createSessions(store, cfg, globalThis.crypto).reserve(6000, 6000).sid, c1.sid)
})

test('a page that fills storage never makes the next page take the same batch numbers', () => {
  const store = memoryStore()
  const cfg = { wid: 1, sessionTimeoutMin: 30, maxSessionHours: 24 }
  const a = createSessions(store, cfg, globalThis.crypto)
  const first = a.reserve(1000, 1000)
  let full = false
  const set = store.set
  store.set = (k, v) => !full && set(k, v)
  full = true // the page filled localStorage with its own keys
  assert.deepEqual([a.reserve(2000, 2000).seq, a.reserve(3000, 3000).seq], [1, 2]) // this page goes on
  const next = createSessions(store, cfg, globalThis.crypto).reserve(4000, 4000)
  // (The server keeps a session's first batch of each number: the same sid from 1 would have lost them.)
  assert.ok(next.sid !== first.sid || next.seq > 2, JSON.stringify(next))
})

test("a batch sent after the timeout with the page's changes of before it stays in their session", () => {
  const store = memoryStore()
  const s = createSessions(store, { wid: 1, sessionTimeoutMin: 30, maxSessionHours: 24 }, globalThis.crypto)
  const min = 60000
  const first = s.reserve(1000, 1000, 1000) // the visitor's last move at 0:01
  // the page's last change at 29:59, sent by the flush at 31:05
  assert.deepEqual(s.reserve(31 * min + 5000, 1000, 30 * min - 1000), { sid: first.sid, start: 1000, seq: 1, end: 30 * min - 1000 })
  // what happened after the timeout opens the next session
  const next = s.reserve(31 * min + 6000, 1000, 31 * min + 2000)
  assert.notEqual(next.sid, first.sid)
  assert.equal(next.seq, 0)
})

test('a page load after the timeout starts a new session (loading a page is not activity)', () => {
  const store = memoryStore()
  const cfg = { wid: 1, sessionTimeoutMin: 30, maxSessionHours: 24 }
  const min = 60000
  const first = createSessions(store, cfg, globalThis.crypto).current(0, 0)
  const later = createSessions(store, cfg, globalThis.crypto).current(31 * min, 0)
  assert.notEqual(later.sid, first.sid)
  const soon = createSessions(store, cfg, globalThis.crypto).current(32 * min, 0)
  assert.equal(soon.sid, later.sid)
})

test('the visitor id is created once and kept', () => {
  const store = memoryStore()
  const cfg = { wid: 1, sessionTimeoutMin: 30, maxSessionHours: 24 }
  const v = createSessions(store, cfg, globalThis.crypto).visitor()
  assert.match(v, /^[A-Za-z0-9_-]{16,64}$/)
  assert.equal(createSessions(store, cfg, globalThis.crypto).visitor(), v)
})

test('a session survives localStorage being cleared under it', () => {
  const store = memoryStore()
  const s = createSessions(store, { wid: 1, sessionTimeoutMin: 30, maxSessionHours: 24 }, globalThis.crypto)
  const first = s.reserve(0, 0)
  store.m.clear()
  assert.deepEqual(s.reserve(1000, 1000), { sid: first.sid, start: 0, seq: 1, end: 0 })
})

// The inverse of eventJson (the server's is recorder/processing.py).
function eventParse(json) {
  const e = JSON.parse(json)
  if (e.ids !== 'delta') return e
  delete e.ids
  const last = { id: 0, parentId: 0, nextId: 0, previousId: 0 }
  const walk = (o) => {
    if (!o || typeof o !== 'object') return
    for (const k of Object.keys(o)) {
      const v = o[k]
      if (ID_KEYS[k] === 1 && Number.isInteger(v)) last[k] = o[k] = v + last[k]
      else walk(v)
    }
  }
  walk(e)
  return e
}

test('node ids go out as differences and come back whole', () => {
  const el = (id, childNodes) => ({ type: 2, tagName: 'tr', attributes: { id: 'r' + id }, childNodes, id })
  const snapshot = { type: 2, timestamp: 1, data: { node: { type: 0, childNodes: [el(2, [el(3, []), el(4, [])])], id: 1 } } }
  const change = {
    type: 3,
    timestamp: 2,
    data: { source: 0, texts: [{ id: 40, value: '1' }], attributes: [], removes: [{ parentId: 2, id: 3 }], adds: [{ parentId: 2, nextId: null, node: el(41, []) }] },
  }
  const click = { type: 3, timestamp: 3, data: { source: 2, type: 2, id: 4 } }
  for (const e of [snapshot, change, click]) {
    const before = JSON.stringify(e)
    const json = eventJson(e)
    assert.equal(JSON.stringify(e), before, 'the event itself is left as it was')
    assert.deepEqual(eventParse(json), e)
  }
  // Ids 3, 4, 2, 1 in document order (children before their parent).
  assert.match(eventJson(snapshot), /"childNodes":\[\],"id":3\},.*"childNodes":\[\],"id":1\}\],"id":-2\}\],"id":-1\}/)
  assert.equal(eventJson(click), JSON.stringify(click), 'only snapshots and DOM changes are encoded')
})
