import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarize, markersOf, pageAt, viewportAt, isFailedRequest, addToSummary, recordedTags, isListed, isPageView } from '../src/summary.js';

const T0 = 1764183000000;
const custom = (ms, tag, payload) => ({ type: 5, timestamp: T0 + ms, data: { tag, payload } });
const events = [
  { type: 4, timestamp: T0, data: { href: 'https://shop.test/', width: 1280, height: 720 } },
  { type: 2, timestamp: T0 + 5, data: { node: { type: 0, childNodes: [] }, initialOffset: { top: 0, left: 0 } } },
  custom(10, 'hs.page', { url: 'https://shop.test/', title: 'Home', kind: 'load' }),
  { type: 3, timestamp: T0 + 900, data: { source: 2, type: 2, id: 7, x: 10, y: 20 } },
  { type: 3, timestamp: T0 + 950, data: { source: 2, type: 1, id: 7, x: 10, y: 20 } }, // mouseup, not a click
  custom(1000, 'hs.error', { kind: 'console.warn', message: 'old API', source: 'https://shop.test/a.js', line: 3 }),
  custom(1100, 'hs.error', { kind: 'rejection', message: 'boom' }),
  custom(1200, 'hs.net', { kind: 'fetch', method: 'post', url: '/api/a', status: 201, duration: 40 }),
  custom(1300, 'hs.net', { kind: 'xhr', method: 'GET', url: '/api/b', status: 503, duration: 90 }),
  custom(1400, 'hs.net', { kind: 'beacon', method: 'POST', url: '/api/c', status: 0, duration: 1 }),
  custom(1500, 'hs.tag', { tags: { plan: 'pro' } }),
  custom(1600, 'hs.identify', { id: 'alice' }),
  { type: 3, timestamp: T0 + 1700, data: { source: 4, width: 390, height: 844 } },
  custom(2000, 'hs.page', { url: 'https://shop.test/cart', title: 'Cart', kind: 'push' }),
];

test('custom events become pages, console entries and requests with times from the start', () => {
  const s = summarize(events);
  assert.deepEqual(s.pages.map((p) => [p.time, p.title]), [[10, 'Home'], [2000, 'Cart']]);
  assert.deepEqual(s.console.map((e) => [e.time, e.level]), [[1000, 'warn'], [1100, 'error']]);
  assert.deepEqual(s.network.map((n) => [n.method, n.failed]), [['POST', false], ['GET', true], ['POST', true]]);
  assert.deepEqual(s.clicks.map((c) => c.time), [900]);
  assert.deepEqual(recordedTags(s), { plan: 'pro' });
  assert.equal(s.identities[0].id, 'alice');
});

test('markers show errors and failed requests but not warnings or successful requests', () => {
  const kinds = markersOf(summarize(events)).map((m) => `${m.kind}@${m.time}`);
  assert.deepEqual(kinds, ['page@10', 'click@900', 'error@1100', 'network@1300', 'network@1400', 'tag@1500', 'page@2000']);
});

test('a return to a tab or to a page the browser kept says so on its marker', () => {
  const back = [...events, custom(3000, 'hs.page', { url: 'https://shop.test/', title: 'Home', kind: 'tab' }),
    custom(4000, 'hs.page', { url: 'https://shop.test/cart', title: 'Cart', kind: 'back' })];
  const labels = markersOf(summarize(back)).filter((m) => m.kind === 'page').map((m) => m.label);
  assert.deepEqual(labels, ['Page: Home', 'Page: Cart', 'Back to the tab: Home', 'Back to: Cart']);
});

test('a page rewritten by document.open() is listed and marked with its new title, and is no page view', () => {
  const opened = [...events, custom(3000, 'hs.page', { url: 'https://shop.test/cart', title: 'Ad', kind: 'open' })];
  const s = summarize(opened);
  assert.equal(pageAt(s, 3100).title, 'Ad');
  assert.deepEqual(markersOf(s).filter((m) => m.kind === 'page').map((m) => m.label), ['Page: Home', 'Page: Cart', 'Page rewritten: Ad']);
  assert.deepEqual([s.pages.filter(isListed).length, s.pages.filter(isPageView).length], [3, 2]);
});

test('a page replacing only its fragment moves the address, with no marker and no page view', () => {
  const spy = [...events, custom(2500, 'hs.page', { url: 'https://shop.test/cart#items', title: 'Cart', kind: 'fragment' })];
  const s = summarize(spy);
  assert.equal(pageAt(s, 2600).url, 'https://shop.test/cart#items');
  assert.deepEqual(markersOf(s).filter((m) => m.kind === 'page').map((m) => m.time), [10, 2000]);
  assert.deepEqual([s.pages.filter(isListed).length, s.pages.filter(isPageView).length], [2, 2]);
});

test('a page replacing its query in place (a search box) moves the address, with no marker and no page view', () => {
  const typed = [...events, custom(2500, 'hs.page', { url: 'https://shop.test/cart?q=t', title: 'Cart', kind: 'state' }),
    custom(2600, 'hs.page', { url: 'https://shop.test/cart?q=te', title: 'Cart', kind: 'state' })];
  const s = summarize(typed);
  assert.equal(pageAt(s, 2700).url, 'https://shop.test/cart?q=te');
  assert.deepEqual(markersOf(s).filter((m) => m.kind === 'page').map((m) => m.time), [10, 2000]);
  assert.deepEqual([s.pages.filter(isListed).length, s.pages.filter(isPageView).length], [2, 2]);
});

test('events out of order are sorted before timing', () => {
  const s = summarize([...events].reverse());
  assert.equal(s.startTime, T0);
  assert.equal(s.pages[0].time, 10);
});

test('the current page and viewport follow the playhead', () => {
  const s = summarize(events);
  assert.equal(pageAt(s, 0).title, 'Home'); // before the first page view: that page
  assert.equal(pageAt(s, 1999).title, 'Home');
  assert.equal(pageAt(s, 2000).title, 'Cart');
  assert.deepEqual([viewportAt(s, 100).width, viewportAt(s, 1700).width], [1280, 390]);
});

test('live events extend a summary', () => {
  const s = summarize(events.slice(0, 3));
  addToSummary(s, events.slice(3));
  assert.equal(s.network.length, 3);
});

test('hostile payloads do not break the summary', () => {
  const s = summarize([
    { type: 4, timestamp: T0, data: { width: 1, height: 1 } },
    { type: 5, timestamp: T0 + 1, data: { tag: 'hs.net', payload: null } },
    { type: 5, timestamp: T0 + 2, data: { tag: 'hs.tag', payload: { tags: 'nope' } } },
    { type: 5, timestamp: T0 + 3, data: {} },
  ]);
  assert.equal(s.network[0].failed, true);
  assert.equal(s.tags.length, 0);
});

for (const [status, failed] of [[0, true], [200, false], [302, false], [399, false], [400, true], [500, true]]) {
  test(`status ${status} is ${failed ? '' : 'not '}a failed request`, () => assert.equal(isFailedRequest(status), failed));
}

test('a gap and a page too large to record are marked where they happened', () => {
  const s = summarize([...events, custom(2500, 'hs.gap', { dropped: 40, bytes: 9000 }), custom(2600, 'hs.stop', { bytes: 36_400_000, max: 4_194_304 }),
    custom(2700, 'hs.stop', { bytes: 5e6 })]);
  assert.deepEqual(markersOf(s).filter((m) => m.kind === 'gap').map((m) => [m.time, m.label]), [
    [2500, 'Recording gap: 40 events dropped'],
    [2600, 'Recording stopped on this page: a change of 36.4 MB, more than the 4.2 MB the recorder sends at once'],
    [2700, 'Recording stopped on this page: a change of 5.0 MB, more than the 4 MB the recorder sends at once'],
  ]);
});
