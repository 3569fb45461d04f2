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

/**
 * Runs `sync(doc, roots)` over the replayed document and its open shadow roots now, at each rebuild, and after
 * each change there of a node or of one of `attributes`: each shadow root is observed as it is found. Returns
 * the sync, which a seek runs at once (the observer would only run after its task).
 */
export function followRoots(replayer, attributes, sync) {
  const observed = { subtree: true, childList: true, attributes: true, attributeFilter: attributes };
  const watched = new WeakSet(); // the shadow roots observed
  const run = () => {
    const doc = replayer.iframe.contentDocument;
    if (!doc) return;
    const roots = rootsOf(doc);
    for (const root of roots.slice(1)) if (!watched.has(root)) watched.add(root), observer.observe(root, observed);
    sync(doc, roots);
  };
  const observer = new MutationObserver(run);
  const watch = () => {
    const doc = replayer.iframe.contentDocument;
    if (!doc) return;
    observer.observe(doc, observed);
    run();
  };
  watch();
  replayer.on('fullsnapshot-rebuilded', watch);
  return run;
}
