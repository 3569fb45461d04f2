import { patch } from '../patch.js'
import { sayer } from './said.js'

// A custom element's states (`this.attachInternals().states.add('checked')`, as Fluent UI's web components
// keep theirs) style it through `:state(checked)` rules, and no attribute carries them: the
// replay showed every such component in its plain state. The states go out as an attribute change of ours,
// `data-hindsight-state` (their names, space-separated; null when none), each time the page adds, deletes
// or clears one, for an element added by a change, and after each full snapshot (docs/protocol.md, "Custom
// element states"). An element's set is known from its attachInternals() call: an element whose internals
// were attached before the recorder started is not followed.
export const STATE = 'data-hindsight-state'

export function captureStates(win, report) {
  const sets = new WeakMap() // an element -> its CustomStateSet, and the set -> its element
  let refs = [] // (WeakRefs of) the elements with internals, for the snapshot
  const say = sayer((el) => {
    const s = sets.get(el)
    return s && ([...s].join(' ') || null)
  }, report)
  const undos = [
    patch(win.HTMLElement.prototype, 'attachInternals', (original) => function () {
      const internals = original.apply(this, arguments)
      try {
        const s = internals.states
        if (s) sets.set(s, this).set(this, s), refs.push(new WeakRef(this))
      } catch (e) {}
      return internals
    }),
  ]
  const proto = win.CustomStateSet && win.CustomStateSet.prototype
  for (const name of ['add', 'delete', 'clear'])
    undos.push(
      patch(proto, name, (original, on) => function () {
        const r = original.apply(this, arguments)
        if (on()) say(sets.get(this))
        return r
      })
    )
  const undo = () => undos.forEach((f) => f())
  undo.snapshot = () => {
    say.reset()
    refs = refs.filter((r) => {
      const el = r.deref()
      if (el) say(el)
      return el
    })
  }
  undo.added = (el) => say(el, 1)
  return undo
}
