import { listen } from '../patch.js'
import { sayer } from './said.js'

// A form's fields outlined red once the visitor has left them wrong (`:user-invalid`, `:user-valid`) are
// styled by a state no attribute carries, and a masked field replays with a mask for a value, which the
// replay's own `:invalid` judges instead of what the visitor typed (a masked e-mail address is never a
// valid one there). Each field's validity goes out as an attribute change of ours, `data-hindsight-valid`:
// `valid` or `invalid`, with ` user` once the visitor has interacted with it (null when it is neither, a
// disabled field), after each full snapshot for every field, for a field added by a change, and again when
// it changes: at the field's input (typed, or set by script) and a moment after the visitor leaves or
// changes a field, or a form is submitted or reset (for all its fields). Valid or invalid says no more of a
// masked value; the fields whose values are secrets (passwords, card fields) are never noted
// (docs/protocol.md, "Validity").
export const VALID = 'data-hindsight-valid'
const FIELDS = 'input,select,textarea,form'

export function captureValidity(win, report, skip) {
  const doc = win.document
  const is = (el, s) => el.matches(s)
  // (A field not to say is asked about only when its validity changed: not at every keystroke.)
  const say = sayer((el) => {
    if (!is(el, FIELDS)) return
    const v = is(el, ':invalid') ? 'invalid' : is(el, ':valid') ? 'valid' : null
    // (:is() forgives a browser that has no :user-invalid: the field is then said without it)
    return v && is(el, ':is(:user-invalid,:user-valid)') ? v + ' user' : v
  }, (el, v) => skip(el) || report(el, v))
  // The browser marks the fields as the visitor interacted once the event is over: looked at a task later,
  // each field of the form (a submit tried marks all of them, valid ones too), once for the events of a task
  // (a script's checkValidity() on every field fires `invalid` at each).
  let due = new Set()
  const soon = (e) => {
    if (!due.size)
      setTimeout(() => {
        const forms = due
        due = new Set()
        try {
          forms.forEach((f) => [f, ...(f.elements || [])].forEach((el) => say(el)))
        } catch (e) {} // (a timer of ours: nothing reaches the page)
      })
    due.add(e.target.form || e.target)
  }
  const offs = ['change', 'focusout', 'invalid', 'submit', 'reset'].map((type) => listen(doc, type, soon, true))
  const undo = () => offs.forEach((f) => f())
  undo.on = () => offs.forEach((f) => f.on())
  undo.snapshot = (roots) => {
    say.reset()
    for (const r of roots) for (const el of r.querySelectorAll(FIELDS)) say(el)
  }
  undo.added = (el) => say(el, 1)
  // (and the form, whose validity is its fields': it changes only with one of theirs)
  undo.input = (el) => say(el) && say(el.form)
  return undo
}
