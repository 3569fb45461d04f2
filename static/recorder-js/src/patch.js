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

// addEventListener with its undo; a throwing handler never reaches the page.
// The undo's `on` adds the listener again, after document.open() erased it (recorder.js).
export function listen(target, type, fn, capture) {
  const h = function () {
    try {
      fn.apply(this, arguments)
    } catch (e) {}
  }
  const on = () => target.addEventListener(type, h, capture)
  const off = () => target.removeEventListener(type, h, capture)
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
