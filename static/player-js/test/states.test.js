import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statesRewritten } from '../src/states.js';

const NATIVE = ':where(:not([data-hindsight-valid]))';

test('validity pseudo-classes ask the attribute where a field has it, its own validity elsewhere', () => {
  const cases = [
    ['input:user-invalid', 'input[data-hindsight-valid="invalid user"]'],
    ['form :user-valid + label', 'form [data-hindsight-valid="valid user"] + label'],
    ['#email:invalid', `#email:is([data-hindsight-valid~=invalid],:invalid${NATIVE})`],
    ['input:not(:valid)', `input:not(:is([data-hindsight-valid~=valid],:valid${NATIVE}))`],
    ['input:USER-INVALID:focus', 'input[data-hindsight-valid="invalid user"]:focus'],
    ['::-webkit-validation-bubble, input:valid-ish', '::-webkit-validation-bubble, input:valid-ish'], // not these
  ];
  for (const [css, rewritten] of cases) assert.equal(statesRewritten(css), rewritten, css);
});

test("custom element states ask the element's attribute of names", () => {
  assert.equal(statesRewritten('x-toggle:state(on):state( busy )'), 'x-toggle[data-hindsight-state~="on"][data-hindsight-state~="busy"]');
  assert.equal(statesRewritten(':host(:state(open)) { color: red }'), ':host([data-hindsight-state~="open"]) { color: red }');
});

test('every element counts as defined in the replay, whose frame defines none', () => {
  assert.equal(statesRewritten('x-card:not(:defined), :defined > b'), 'x-card:not(:not([data-hindsight-undefined])), :not([data-hindsight-undefined]) > b');
});

test('a text is rewritten once, and what is no text is left as it is', () => {
  const once = statesRewritten('input:invalid');
  assert.equal(statesRewritten(once), once);
  assert.equal(statesRewritten(undefined), undefined);
});
