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
export function listen(target, type, fn, capture) {
  const h = function () {
    try {
      fn.apply(this, arguments)
    } catch (e) {}
  }
  target.addEventListener(type, h, capture)
  return () => target.removeEventListener(type, h, capture)
}
