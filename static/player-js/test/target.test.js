import { test } from 'node:test';
import assert from 'node:assert/strict';
import { targetAt } from '../src/target.js';

const meta = (t, href) => ({ type: 4, timestamp: t, data: { href, width: 800, height: 600 } });
const page = (t, url, kind) => ({ type: 5, timestamp: t, data: { tag: 'hs.page', payload: { url, kind } } });

test('the target is the fragment of the last page load or fragment navigation before the moment', () => {
  const events = [
    meta(10, 'https://shop.test/faq#returns'),
    page(20, 'https://shop.test/faq#size%20guide', 'hash'),
    page(30, 'https://shop.test/faq#ignored', 'push'), // pushState and replaceState leave :target as it was
    page(40, 'https://shop.test/faq#ignored-too', 'fragment'),
    page(50, 'https://shop.test/faq', 'hash'), // back to no fragment
    meta(60, 'https://shop.test/cart'),
    page(70, 'https://shop.test/cart#bad%', 'hash'),
  ];
  assert.equal(targetAt(events, 10), null);
  assert.equal(targetAt(events, 11), 'returns');
  assert.equal(targetAt(events, 21), 'size guide');
  assert.equal(targetAt(events, 45), 'size guide');
  assert.equal(targetAt(events, 51), null);
  assert.equal(targetAt(events, 61), null);
  assert.equal(targetAt(events, 71), 'bad%');
});
