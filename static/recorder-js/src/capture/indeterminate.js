import { listen, patchSetter } from '../patch.js'
import { sayer } from './said.js'

// A checkbox a script shows as partly checked (`indeterminate`: a list's "select all" while some rows
// are chosen) has no attribute that says so, and rrweb records none: the replay showed it empty. The
// state goes out as an attribute change of ours, `data-hindsight-indeterminate` (`''` while shown, null
// once not: the visitor's click clears it, as a script may), and after each full snapshot for every
// checkbox showing it (docs/protocol.md, "Indeterminate checkboxes").
export const INDETERMINATE = 'data-hindsight-indeterminate'

export function captureIndeterminate(win, report) {
  const say = sayer((el) => (el.indeterminate ? '' : null), report)
  const unset = patchSetter(win.HTMLInputElement.prototype, 'indeterminate', say)
  const off = listen(win.document, 'change', (e) => say(e.target), true)
  const undo = () => off() || unset()
  undo.on = off.on // (again, after document.open() erased the document's listeners: recorder.js)
  undo.snapshot = (roots) => {
    say.reset()
    for (const r of roots) for (const el of r.querySelectorAll('input[type=checkbox]:indeterminate')) say(el)
  }
  undo.added = say.moved
  return undo
}
