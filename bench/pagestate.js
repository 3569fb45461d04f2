// The page's visible state, compared between a live page and its replay
// (bench/fidelity.py, tests/e2e/test_fidelity.py): the body's structure (tags,
// ids, classes, inline styles, hidden, element scroll offsets, input values'
// lengths, since the replay masks inputs with one * per character), its text,
// and the document's scroll position. Open shadow roots and same-origin
// iframes are walked as part of the element that holds them; an element
// marked `data-probe` adds its computed colour (styles from CSSOM rules and
// adopted sheets, which the markup does not show); <details> and <dialog>
// say whether they are open (a dialog also whether it is modal), and a popover
// whether it is showing; the element with focus says so. The hidden options the player gives a select to
// show a masked value (static/player-js/src/masked.js) are its own: left out.
window.__hsState = function (doc) {
  var out = [], SKIP = { SCRIPT: 1, STYLE: 1, NOSCRIPT: 1, TEMPLATE: 1, LINK: 1, META: 1 };
  var FIELD = { INPUT: 1, TEXTAREA: 1, SELECT: 1 };
  function deepActive(d) {
    var a = d.activeElement;
    while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
    return a;
  }
  function isPopoverOpen(el) {
    try { return el.matches(':popover-open'); } catch (e) { return false; }
  }
  function walk(n, depth) {
    for (var c = n.firstChild; c; c = c.nextSibling) {
      if (c.nodeType === 3) {
        var t = c.nodeValue.replace(/\s+/g, ' ').trim();
        if (t) out.push(depth + '"' + t);
      } else if (c.nodeType === 1 && !SKIP[c.tagName] && !c.hasAttribute('data-hindsight-mask')) {
        var line = depth + '<' + c.tagName.toLowerCase() + (c.id ? '#' + c.id : '');
        // The replayer marks hovered elements with a :hover class, and the player the focused one with
        // :focus and more (static/player-js/src/focus.js): classes of theirs, not the page's.
        var cls = Array.prototype.filter.call(c.classList, function (x) { return x.charAt(0) !== ':'; }).sort().join('.');
        if (cls) line += '.' + cls;
        // The element with focus: the page's active element, inside shadow roots and frames (their own
        // documents say what in them has it), or the replay's mark.
        if (c.classList.contains(':focus') || (c === deepActive(c.ownerDocument) && c.tagName !== 'IFRAME')) line += ' focused';
        if (c.style && c.style.cssText) line += ' style=' + c.style.cssText;
        if (c.hidden) line += ' hidden';
        if (FIELD[c.tagName]) line += ' value#' + String(c.value).length + (c.checked ? ' checked' : '');
        if (c.scrollTop || c.scrollLeft) line += ' scroll=' + Math.round(c.scrollTop) + ',' + Math.round(c.scrollLeft);
        if (c.open && (c.tagName === 'DETAILS' || c.tagName === 'DIALOG')) line += ' open';
        if (c.open && c.tagName === 'DIALOG' && c.matches(':modal')) line += ' modal';
        if (c.hasAttribute('popover') && isPopoverOpen(c)) line += ' popover-open';
        if (c.hasAttribute('data-probe')) line += ' color=' + c.ownerDocument.defaultView.getComputedStyle(c).color;
        out.push(line);
        if (c.shadowRoot) walk(c.shadowRoot, depth + 1);
        if (c.tagName === 'IFRAME') {
          var sub = null;
          try { sub = c.contentDocument; } catch (e) {}
          if (sub && sub.body) walk(sub.body, depth + 1);
        }
        walk(c, depth + 1);
      }
    }
  }
  if (doc.body) walk(doc.body, 0);
  var se = doc.scrollingElement || doc.documentElement;
  return { dom: out.join('\n'), scroll: Math.round(se.scrollTop) + ',' + Math.round(se.scrollLeft) };
};
