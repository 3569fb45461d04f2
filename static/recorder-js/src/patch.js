// Replaces obj[name] with make(original). The returned undo restores the
// original only if nobody wrapped ours since; otherwise `on()` turns false and
// the wrapper (which must always call the original) stops reporting.
export function patch(obj, name, make) {
  const orig = obj && obj[name]
  if (typeof orig !== 'function') return () => {}
  let active = true
  const wrapped = make(orig, () => active)
  try {
    obj[name] = wrapped
  } catch (e) {
    return () => {}
  }
  return () => {
    active = false
    if (obj[name] === wrapped) obj[name] = orig
  }
}

// The document's listeners: every open shadow root the recorder meets gets them too (hearIn), and hears
// what happens in a component as the document hears it in the page. Most of those events stay inside the
// shadow root (not composed: a checkbox's change, a form's submit, a popover's beforetoggle; focus moving
// within it); a field's focusout from elsewhere leaves it with the host for its target, so the root's
// listener is the one that sees the field. A click, which leaves it too, would be counted twice: the
// document's alone hears it.
const inner = []
export const hearIn = (root) => inner.forEach((a) => root?.addEventListener(...a))

// addEventListener with its undo; a throwing handler never reaches the page.
// The undo's `on` adds the listener again, after document.open() erased it (recorder.js).
// (Undone, it hears nothing in the shadow roots either.)
export function listen(target, type, fn, capture) {
  let live
  const h = function () {
    try {
      live && fn.apply(this, arguments)
    } catch (e) {}
  }
  const on = () => ((live = 1), target.addEventListener(type, h, capture))
  const off = () => ((live = 0), target.removeEventListener(type, h, capture))
  if (target.nodeType == 9 && type != 'click') inner.push([type, h, capture])
  on()
  off.on = on
  return off
}

// An accessor property's setter wrapped: `after(obj)` runs once the page's call is over (at the end of its
// task, as rrweb takes a value set by script). Returns the undo; a browser without the setter is left as
// it is.
export function patchSetter(proto, name, after) {
  const d = proto && Object.getOwnPropertyDescriptor(proto, name)
  const put = (x) => {
    try {
      Object.defineProperty(proto, name, x)
    } catch (e) {}
  }
  if (d?.set) put({ ...d, set(v) { d.set.call(this, v), queueMicrotask(() => after(this)) } })
  return () => d && put(d)
}
