import { sayer } from './said.js'

// A stylesheet a script turns off (`style.disabled = true`, `sheet.disabled = true`: a dark theme's
// sheet when the visitor picks the light one) has no attribute that says so, and rrweb records none: the
// replay kept every theme on at once. The state goes out as a `disabled` attribute change of the
// sheet's <style> or <link> node (`''` while off, null once on again), and after each full snapshot for
// every sheet off then, an alternate stylesheet too (docs/protocol.md, "Disabled stylesheets").
export function captureSheets(win, report) {
  // (a sheet of no node, a constructed one, throws: said.js says nothing then)
  const say = sayer((el) => (el.sheet.disabled ? '' : null), report)
  // (A <style>'s own setter does not go through its sheet's.)
  const undos = [
    [win.StyleSheet.prototype, (s) => s.ownerNode],
    [win.HTMLStyleElement.prototype, (el) => el],
  ].map(([proto, node]) => {
    const d = Object.getOwnPropertyDescriptor(proto, 'disabled')
    try {
      // (after the page's call, at the end of its task, as rrweb takes a value set by script)
      Object.defineProperty(proto, 'disabled', { ...d, set(v) { d.set.call(this, v), queueMicrotask(() => say(node(this))) } })
    } catch (e) {}
    return () => {
      try {
        Object.defineProperty(proto, 'disabled', d)
      } catch (e) {}
    }
  })
  const undo = () => undos.forEach((f) => f())
  undo.snapshot = () => {
    say.reset()
    for (const s of win.document.styleSheets) say(s.ownerNode)
  }
  undo.added = say.moved
  return undo
}
