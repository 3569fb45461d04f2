// A replayed page's open shadow roots (a component's), which the document's own queries and observers do
// not reach into: rrweb replays what changes in them, and the player's marks and focus classes go there too.

/** `doc` and each open shadow root in it, those inside shadow roots too. */
export function rootsOf(doc) {
  const roots = [doc];
  for (let i = 0; i < roots.length; i++) {
    for (const el of roots[i].querySelectorAll('*')) if (el.shadowRoot) roots.push(el.shadowRoot);
  }
  return roots;
}

/** The elements `selector` matches in `doc` and in its shadow roots (`roots`, when known already). */
export function queryAllDeep(doc, selector, roots = rootsOf(doc)) {
  return roots.flatMap((root) => [...root.querySelectorAll(selector)]);
}
