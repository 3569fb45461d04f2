import { test } from 'node:test';
import assert from 'node:assert/strict';
import { followMedia } from '../src/media.js';

const meta = (timestamp, ...media) => ({ type: 4, timestamp, data: { media } });
const rule = (timestamp, text) => ({ type: 3, timestamp, data: { source: 8, adds: [{ rule: text, index: 0 }] } });
const CSS = ':root { color-scheme: dark light } @media (prefers-color-scheme:dark) { a { color: red } } @media (hover: hover) and (pointer: fine) { b { color: blue } }';
const page = (timestamp) => ({
  type: 2,
  timestamp,
  data: { node: { childNodes: [
    { tagName: 'meta', attributes: { name: 'color-scheme', content: 'light dark' } },
    { tagName: 'style', attributes: { _cssText: CSS } },
    { type: 3, textContent: 'A tutorial: (hover: none) and (pointer: coarse) mean a phone' },
  ] } },
});
const shown = (event) => event.data.node.childNodes.map((n) => (n.attributes ? n.attributes.content || n.attributes._cssText : n.textContent));

test("a dark phone's page is given its answers, a light desktop's its own, and again the same", () => {
  const media = followMedia();
  const [, phone] = media([meta(1, 'prefers-color-scheme: dark', 'pointer: coarse', 'hover: none'), page(2)]);
  assert.deepEqual(shown(phone), [
    'dark',
    ':root { color-scheme: dark } @media (min-width: 0px) { a { color: red } } @media (not (min-width: 0px)) and (not (min-width: 0px)) { b { color: blue } }',
    'A tutorial: (hover: none) and (pointer: coarse) mean a phone', // the page's text stays
  ]);
  assert.deepEqual(media([phone]), [phone]); // (a part loaded again is changed no further)
  const [, desktop] = media([meta(3), page(4)]);
  assert.equal(shown(desktop)[1],
    ':root { color-scheme: light } @media (not (min-width: 0px)) { a { color: red } } @media (min-width: 0px) and (min-width: 0px) { b { color: blue } }');
});

test('a batch without a Meta event takes the latest one before, not an earlier part loaded last', () => {
  const media = followMedia();
  media([meta(10, 'prefers-color-scheme: dark')]);
  media([meta(1), rule(2, '@media (prefers-color-scheme: light) { b {} }')]);
  assert.equal(media([rule(11, '@media (prefers-color-scheme: light) { b {} }')])[0].data.adds[0].rule, '@media (not (min-width: 0px)) { b {} }');
});

test('a page that ran scripts is answered so, wherever its CSS is asked', () => {
  const media = followMedia();
  const [, added] = media([
    meta(1),
    { type: 3, timestamp: 2, data: { source: 0, attributes: [{ id: 5, attributes: { media: '(scripting: none)' } }] } },
  ]);
  assert.equal(added.data.attributes[0].attributes.media, '(not (min-width: 0px))');
  const [inserted] = media([rule(3, '@media (scripting: enabled), (scripting) { a {} } @media (SCRIPTING: initial-only) { b {} }')]);
  assert.equal(inserted.data.adds[0].rule, '@media (min-width: 0px), (min-width: 0px) { a {} } @media (not (min-width: 0px)) { b {} }');
  const [kept] = media([rule(4, '@media (hover) { a {} }')]); // (another feature alone: left to the frame, as before)
  assert.equal(kept.data.adds[0].rule, '@media (hover) { a {} }');
});
