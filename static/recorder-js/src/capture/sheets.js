import { patchSetter } from '../patch.js'
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
    patchSetter(win.StyleSheet.prototype, 'disabled', (s) => say(s.ownerNode)),
    patchSetter(win.HTMLStyleElement.prototype, 'disabled', say),
  ]
  const undo = () => undos.forEach((f) => f())
  undo.snapshot = (roots) => {
    say.reset()
    for (const r of roots) for (const s of r.styleSheets) say(s.ownerNode)
  }
  undo.added = say.moved
  return undo
}
