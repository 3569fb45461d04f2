// Popovers as the visitor saw them. A popover opened by showPopover() (or a
// button's popovertarget) has no attribute that says it is open, so rrweb
// records none: the recorder writes the state as an attribute of ours,
// `data-hindsight-popover`, present while the popover is open
// (docs/protocol.md, "Popovers"). rrweb replays and seeks that attribute as
// any other; this shows and hides the replayed popovers to match it.

export const POPOVER_OPEN = 'data-hindsight-popover';

/** Opens or closes each popover of `doc` as its attribute says; in document order, so a menu opens before its submenu. */
export function popoversSync(doc) {
  for (const el of doc.querySelectorAll('[popover]')) {
    let open;
    try {
      open = el.matches(':popover-open');
    } catch (e) {
      return; // a browser without popovers
    }
    const wanted = el.hasAttribute(POPOVER_OPEN);
    if (wanted === open) continue;
    try {
      if (wanted) el.showPopover();
      else el.hidePopover();
    } catch (e) {
      /* not connected, or not a valid popover any more */
    }
  }
}

/** Keeps the replay's popovers in step with the recording, through live play, seeks and rebuilds. */
export function followPopovers(replayer) {
  const observer = new MutationObserver(() => popoversSync(replayer.iframe.contentDocument));
  const watch = () => {
    const doc = replayer.iframe.contentDocument;
    if (!doc) return;
    observer.observe(doc, { subtree: true, childList: true, attributes: true, attributeFilter: [POPOVER_OPEN] });
    popoversSync(doc);
  };
  watch();
  replayer.on('fullsnapshot-rebuilded', watch);
  return observer;
}
