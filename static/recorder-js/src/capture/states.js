import { patch } from '../patch.js'
import { sayer } from './said.js'

// A custom element's states (`this.attachInternals().states.add('checked')`, as Fluent UI's web components
// keep theirs) style it through `:state(checked)` rules, and no attribute carries them: the
// replay showed every such component in its plain state. The states go out as an attribute change of ours,
// `data-hindsight-state` (their names, space-separated; null when none), each time the page adds, deletes
// or clears one, for an element added by a change, and after each full snapshot (docs/protocol.md, "Custom
// element states"). An element's set is known from its attachInternals() call, or, for one whose internals
// were attached before the recorder started, from its shadow root (below): one of those without a shadow
// root is not followed.
export const STATE = 'data-hindsight-state'

export function captureStates(win, report) {
  const sets = new WeakMap() // an element -> its CustomStateSet, and the set -> its element
  let refs = [] // (WeakRefs of) the elements with internals, for the snapshot
  const say = sayer((el) => {
    const s = sets.get(el)
    return s && ([...s].join(' ') || null)
  }, report)
  const own = (el, s) => s && !sets.has(s) && sets.set(s, el).set(el, s) && refs.push(new WeakRef(el))
  const undos = [
    patch(win.HTMLElement.prototype, 'attachInternals', (original) => function () {
      const internals = original.apply(this, arguments)
      try {
        own(this, internals.states)
      } catch (e) {}
      return internals
    }),
  ]
  // An element whose internals were attached before the recorder started (a component the page's bundle
  // defined first): known by its shadow root once the page reads its states again (to change them).
  const I = win.ElementInternals?.prototype
  const d = I && Object.getOwnPropertyDescriptor(I, 'states')
  try {
    const get = d.get // (none: a browser without states, left as it is)
    Object.defineProperty(I, 'states', { ...d, get() {
      const s = get.call(this)
      try {
        own(this.shadowRoot.host, s)
      } catch (e) {} // (one without a shadow root)
      return s
    } })
    undos.push(() => Object.defineProperty(I, 'states', d))
  } catch (e) {}
  const proto = win.CustomStateSet?.prototype
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
  undo.added = say.moved // (one said before it was added too)
  return undo
}
