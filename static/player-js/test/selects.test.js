import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseOptions } from '../src/selects.js';

// A select as chooseOptions reads it: its options' values, and what it sets.
const select = (...values) => ({ value: '', options: values.map((value) => ({ value, selected: true })) });
const chosen = (s) => s.options.filter((o) => o.selected).map((o) => o.value);

test("a multiple select's value chooses each option it names, and no other", () => {
  const s = select('a', 'b, c', 'b', 'd');
  chooseOptions(s, 'b, c,d'); // a value may hold a comma
  assert.deepEqual(chosen(s), ['b, c', 'd']);
  chooseOptions(s, 'a'); // one option (a recording made before values were joined: the first chosen)
  assert.deepEqual(chosen(s), ['a']);
  chooseOptions(s, ''); // none
  assert.deepEqual(chosen(s), []);
});

test('a masked value chooses the mask option of its first part, as a plain select does', () => {
  const s = select('S', 'XL', '*', '**');
  chooseOptions(s, '**,***');
  assert.equal(s.value, '**');
});
