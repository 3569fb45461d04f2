import { test } from 'node:test';
import assert from 'node:assert/strict';
import { followScheme } from '../src/scheme.js';

const meta = (timestamp, dark) => ({ type: 4, timestamp, data: dark ? { dark: true } : {} });
const rule = (timestamp, text) => ({ type: 3, timestamp, data: { source: 8, adds: [{ rule: text, index: 0 }] } });
const head = (timestamp) => ({
  type: 2,
  timestamp,
  data: { node: { childNodes: [{ tagName: 'meta', attributes: { name: 'color-scheme', content: 'light dark' } },
    { tagName: 'style', attributes: { _cssText: ':root { color-scheme: dark light } @media (prefers-color-scheme:dark) { a { color: red } }' } }] } },
});

test("a dark visitor's page is given dark answers, a light one's light, and again the same", () => {
  const scheme = followScheme();
  const [, dark] = scheme([meta(1, true), head(2)]);
  assert.deepEqual(dark.data.node.childNodes.map((n) => n.attributes.content || n.attributes._cssText), [
    'dark',
    ':root { color-scheme: dark } @media (min-width: 0px) { a { color: red } }',
  ]);
  assert.deepEqual(scheme([dark]), [dark]); // (a part loaded again is changed no further)
  const [, light] = scheme([meta(3, false), head(4)]);
  assert.equal(light.data.node.childNodes[1].attributes._cssText, ':root { color-scheme: light } @media (not (min-width: 0px)) { a { color: red } }');
});

test('a batch without a Meta event takes the latest one before, not an earlier part loaded last', () => {
  const scheme = followScheme();
  scheme([meta(10, true)]);
  scheme([meta(1, false), rule(2, '@media (prefers-color-scheme: light) { b {} }')]);
  assert.equal(scheme([rule(11, '@media (prefers-color-scheme: light) { b {} }')])[0].data.adds[0].rule, '@media (not (min-width: 0px)) { b {} }');
});
