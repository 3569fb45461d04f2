import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatClock, formatDate, formatDuration, formatMs, formatSize, formatSource, readableUrl, shortUrl } from '../src/format.js';
import { deepLinkTime, momentUrl } from '../src/controls.js';

for (const [ms, text] of [[0, '0:00'], [999, '0:00'], [83500, '1:23'], [3723000, '1:02:03'], [-5, '0:00'], [NaN, '0:00']]) {
  test(`clock ${ms} reads ${text}`, () => assert.equal(formatClock(ms), text));
}

test('durations, request times and sizes read naturally', () => {
  assert.equal(formatDuration(45), '45 s');
  assert.equal(formatDuration(125), '2 min 5 s');
  assert.equal(formatDuration(3725), '1 h 2 min');
  assert.equal(formatMs(84), '84 ms');
  assert.equal(formatMs(5012), '5.0 s');
  assert.equal(formatMs(-1), '');
  assert.equal(formatSize(1280, 720), '1280 × 720');
  assert.equal(formatSize(0, 720), '');
});

test('sources and URLs are shortened for rows', () => {
  assert.equal(formatSource('https://shop.test/static/app.js?v=3', 12), 'app.js:12');
  assert.equal(shortUrl('https://shop.test/cart?x=1', 'https://shop.test/'), '/cart?x=1');
  assert.equal(shortUrl('https://cdn.test/a.js', 'https://shop.test/'), 'cdn.test/a.js');
  assert.equal(shortUrl('not a url'), 'not a url');
});

for (const [href, ms] of [
  ['https://d.test/replay/1/?t=44', 44000],
  ['https://d.test/replay/1/?t=2.5', 2500],
  ['https://d.test/replay/1/?t=', null],
  ['https://d.test/replay/1/?t=-3', null],
  ['https://d.test/replay/1/?t=abc', null],
  ['https://d.test/replay/1/', null],
]) {
  test(`deep link ${href} starts at ${ms}`, () => assert.equal(deepLinkTime(href), ms));
}

test('the moment link keeps other parameters and replaces t', () => {
  assert.equal(momentUrl(12, 'https://d.test/replay/1/?tab=console&t=3'), 'https://d.test/replay/1/?tab=console&t=12');
  assert.equal(momentUrl(4.912, 'https://d.test/replay/1/'), 'https://d.test/replay/1/?t=4.912');
  assert.equal(deepLinkTime('https://d.test/replay/1/?t=4.912'), 4912);
});

test('a date is shown in the time zone the API wrote it in, as the page header shows it, and says which', () => {
  assert.equal(formatDate('2026-12-06T18:24:15.123456+09:00'), '2026-12-06 18:24:15 UTC+09:00');
  assert.equal(formatDate('2026-12-06T09:24:15Z'), '2026-12-06 09:24:15 UTC');
  assert.equal(formatDate('2026-12-06T09:24:15.5+00:00'), '2026-12-06 09:24:15 UTC');
  assert.equal(formatDate('2026-12-06T04:24:15-05:00'), '2026-12-06 04:24:15 UTC-05:00');
  assert.equal(formatDate('2026-12-06T09:24:15'), '2026-12-06 09:24:15');
  assert.equal(formatDate(''), '');
  assert.equal(formatDate('soon'), 'soon');
});

test('URLs read decoded, safely', () => {
  assert.equal(shortUrl('https://shop.test/caf%C3%A9%20menu?q=%E2%9C%93', 'https://shop.test/'), '/café menu?q=✓');
  assert.equal(shortUrl('https://cdn.test/%E6%97%A5%E6%9C%AC.js', 'https://shop.test/'), 'cdn.test/日本.js');
  // Escapes that would change what the URL says stay, as do malformed ones and marks that reorder text.
  assert.equal(readableUrl('/a%2Fb?x=1%262%3D3%23'), '/a%2Fb?x=1%262%3D3%23');
  assert.equal(readableUrl('/bad%E2%9C/%ZZ/%'), '/bad%E2%9C/%ZZ/%');
  assert.equal(readableUrl('/x%E2%80%AEgpj.exe%00'), '/x%E2%80%AEgpj.exe%00');
  assert.equal(readableUrl('/100%25'), '/100%');
});
