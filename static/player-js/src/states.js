// States of a field or a custom element that only pseudo-classes show, which the recorder writes as
// attributes of ours on the recorded node (docs/protocol.md, "Validity", "Custom element states"). The replay
// makes the page's rules for those pseudo-classes ask the attributes instead, as rrweb makes :hover ask a
// class (build.mjs): in the stylesheets rrweb rewrites for the frame (a <style>, a link's CSS) and, with the
// rest of that rewrite (:hover, :focus, :target, media queries), in the rules a page's script inserts or a
// component adopts, which rrweb inserts as they are.
//
// `data-hindsight-valid`: `valid` or `invalid`, and ` user` once the visitor interacted with the field. The
// replay's frame has no visitor (:user-invalid never matches there), and it judges a masked field's mask
// (a masked e-mail address is never valid): the page's :user-invalid, :user-valid, :invalid and :valid ask
// the attribute where the field has one, its own validity elsewhere (a field inside a shadow root).
// `data-hindsight-state`: a custom element's states (`attachInternals().states`), for :state(name).
// And :defined: the replay's frame defines no custom element, so a page's rule that hides components until
// its bundle defines them (`:not(:defined) { visibility: hidden }`, as component libraries advise) hid them
// for the whole replay. Every element counts as defined there: `:not([data-hindsight-undefined])`, an
// attribute the recorder does not write (an element not defined yet when the visitor saw it shows).
// Each stands for its pseudo-class with the same specificity.

const VALID = 'data-hindsight-valid';
const STATE = 'data-hindsight-state';

const REWRITES = [
  [/:user-(in)?valid(?![\w-])/gi, (_, not) => `[${VALID}="${not ? 'in' : ''}valid user"]`],
  [/:(in)?valid(?![\w-])/gi, (pseudo, not) => `:is([${VALID}~=${not ? 'in' : ''}valid],${pseudo}:where(:not([${VALID}])))`],
  [/:state\(\s*([^()\s]+)\s*\)/gi, (_, name) => `[${STATE}~="${name}"]`],
  [/:defined(?![\w-])/gi, () => ':not([data-hindsight-undefined])'],
];

/** `css` (a selector, or a rule's text) with the pseudo-classes above asking our attributes; once only. */
export function statesRewritten(css) {
  if (typeof css !== 'string' || css.includes('data-hindsight-')) return css;
  for (const [pattern, to] of REWRITES) css = css.replace(pattern, to);
  return css;
}

/**
 * Replayers of `Replayer` (the player's and a test's fresh one alike) rewrite the rules a page's script
 * inserted (insertRule, replace, replaceSync: CSS-in-JS, a web component's adopted stylesheets) as rrweb
 * rewrites its stylesheets' text (`adapt`, rrweb's adaptCssForReplay with our cuts: build.mjs). A component
 * styled this way after the snapshot (a route rendered later) had no :hover, :focus or state styles.
 */
export function statesReplayed(Replayer, adapt) {
  const proto = Replayer.prototype;
  if (proto.hspStates) return;
  const { applyStyleSheetRule } = proto;
  proto.applyStyleSheetRule = function (data, styleSheet) {
    const css = (text) => (typeof text === 'string' ? adapt(text, this.cache) : text);
    const copy = { ...data, adds: data.adds && data.adds.map((add) => ({ ...add, rule: css(add.rule) })) };
    for (const key of ['replace', 'replaceSync']) if (key in data) copy[key] = css(data[key]);
    return applyStyleSheetRule.call(this, copy, styleSheet);
  };
  proto.hspStates = true;
}
