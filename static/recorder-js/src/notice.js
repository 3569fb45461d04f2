// A small dismissible "this session may be recorded" notice. It carries the
// ignore class so the replay shows only an empty box where it was.
export function showNotice(doc, store, text) {
  if (store.get('notice')) return () => {}
  const el = (tag, css) => {
    const e = doc.createElement(tag)
    e.style.cssText = css
    return e
  }
  const box = el(
    'div',
    'position:fixed;bottom:8px;right:8px;z-index:2147483647;max-width:300px;padding:6px 28px 6px 10px;background:#222;color:#fff;font:12px sans-serif;border-radius:4px'
  )
  box.className = 'hindsight-ignore'
  box.setAttribute('role', 'status')
  const close = el('button', 'position:absolute;top:2px;right:4px;border:0;background:none;color:#fff;font-size:16px;cursor:pointer')
  close.type = 'button'
  close.textContent = '\u00d7'
  close.setAttribute('aria-label', 'Dismiss')
  box.appendChild(doc.createTextNode(text))
  box.appendChild(close)
  const remove = () => box.remove()
  // Shown again after document.open() (recorder.js), which took it from the page with its handler,
  // unless the visitor has dismissed it. It sits in the root element, after the body: a page that
  // replaces its body (Turbo Drive's navigations) or rewrites body.innerHTML keeps it.
  const show = (remove.on = () => {
    const to = doc.documentElement
    if (to && !store.get('notice')) {
      close.onclick = () => {
        store.set('notice', 1)
        remove()
      }
      to.appendChild(box)
    }
  })
  show()
  return remove
}
