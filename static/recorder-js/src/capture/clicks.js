import { listen } from '../patch.js'

// hs.click: what each click hit, for frustration signals and click heatmaps:
// `s` a CSS path of the element up to an id or the body (tags, ids, classes, place among siblings of
// its tag; never text), `rx`/`ry` where in its box in thousandths (so that
// different window sizes land on the same element), `w`/`h` its size, `x`/`y`
// the viewport position, and `q` when it cannot be a dead click (inputs,
// labels, a text selection). Inside an ignored element the ignored element is
// what was hit (it replays as an empty box with its classes, without its id).
// hs.depth: `d` the tenths of the page's height seen so far (the server caps
// it at 10), each time that grows; it starts again when the URL changes.
export function selectorOf(el, hidden) {
  const out = []
  for (; el && !/^(BODY|HTML)$/i.test(el.tagName); el = el.parentElement) {
    let s = el.localName
    if (el.id && !hidden) return out.unshift(s + '#' + CSS.escape(el.id)), out.join('>')
    hidden = 0
    const same = [].filter.call(el.parentNode.children, (c) => c.localName === s)
    for (const c of [].slice.call(el.classList, 0, 2)) s += '.' + CSS.escape(c)
    out.unshift(same[1] ? s + ':nth-of-type(' + (same.indexOf(el) + 1) + ')' : s)
  }
  return out.join('>')
}

export function captureClicks(win, ignoreSel, report) {
  const doc = win.document
  let href, seen, timer
  const depth = () => {
    timer = 0
    if (href !== win.location.href) (href = win.location.href), (seen = 0)
    const d = Math.ceil(((win.scrollY + win.innerHeight) / doc.documentElement.scrollHeight) * 10)
    if (d > seen) report('hs.depth', { d: (seen = d) })
  }
  // A click on a label is followed by the browser's own click on its control, at the same spot: one
  // click of the visitor's, not two (two clicks on a checkbox's label would be a rage click).
  let forwarded = null
  // (Also after a click: a single-page app's link shows its next page without a load or a scroll.)
  const soon = () => timer || (timer = setTimeout(depth, 250))
  const click = (e) => {
    soon()
    if (e.target === forwarded) return (forwarded = null)
    const label = e.target.closest('label')
    forwarded = label && label.control !== e.target ? label.control : null
    if (forwarded) setTimeout(() => (forwarded = null))
    const hit = e.target.closest(ignoreSel)
    const el = hit || e.target
    const r = el.getBoundingClientRect()
    const x = e.clientX
    const y = e.clientY
    report('hs.click', {
      s: selectorOf(el, hit),
      rx: ((1000 * (x - r.left)) / r.width) | 0,
      ry: ((1000 * (y - r.top)) / r.height) | 0,
      w: r.width | 0,
      h: r.height | 0,
      x,
      y,
      q: !!(el.closest('input,select,textarea,label') || String(win.getSelection())),
    })
  }
  depth()
  // (undo functions, each of its own: see listen())
  return [
    listen(doc, 'click', click, true),
    // The page's height is read at most every 250 ms while it scrolls: a read
    // makes the browser lay the page out first if a change is pending.
    listen(win, 'scroll', soon),
    () => clearTimeout(timer),
  ]
}
