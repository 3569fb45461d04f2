// Popovers as the visitor saw them. A popover opened by showPopover() (or a
// button's popovertarget) has no attribute that says it is open, so rrweb
// records none: the recorder writes the state as an attribute of ours,
// `data-hindsight-popover`, present while the popover is open
// (docs/protocol.md, "Popovers"). rrweb replays and seeks that attribute as
// any other; this shows and hides the replayed popovers to match it (stage.js
// runs it through live play, seeks and rebuilds).

import { queryAllDeep, rootsOf } from './roots.js';

export const POPOVER_OPEN = 'data-hindsight-popover';

/**
 * Opens or closes each popover of `doc` and of its shadow roots (`roots`, when known already) as its attribute
 * says; in document order, so a menu opens before its submenu.
 */
export function popoversSync(doc, roots = rootsOf(doc)) {
  for (const el of queryAllDeep(doc, '[popover]', roots)) {
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
