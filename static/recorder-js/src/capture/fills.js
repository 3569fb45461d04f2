import { patch } from '../patch.js'
import { sayer } from './said.js'

// What a page's Web Animations (element.animate()) hold once they finish with fill `forwards` or
// `both`: the element keeps the animation's end style, which no attribute or stylesheet carries, so
// rrweb records none of it. A menu or a panel that faded or slid in this way replayed as it was before
// (invisible, off screen). The held declarations (computed values, `opacity: 1; transform: none`) go
// out as an attribute change of ours, `data-hindsight-fill` (null when none is held any more), each time
// one of the element's animations finishes, is cancelled or is replaced (docs/protocol.md, "Animation
// fills"). CSS animations and transitions are the page's stylesheets': not these.
export const FILL = 'data-hindsight-fill'
const NOT_STYLE = /^(offset|computedOffset|easing|composite)$/

export function captureFills(win, report) {
  const followed = new WeakSet()
  // Only a change goes out, not a null for every animation that finishes holding nothing (a hover effect's).
  const say = sayer(held, report)
  const scripted = (a) => !('animationName' in a) && !('transitionProperty' in a)
  function held(el) {
    const names = new Set()
    for (const a of el.getAnimations()) {
      const e = a.effect
      if (e && scripted(a) && a.playState === 'finished' && !e.pseudoElement && /forwards|both/.test(e.getTiming().fill))
        for (const k of e.getKeyframes()) for (const p in k) NOT_STYLE.test(p) || names.add(p === 'cssFloat' ? 'float' : p.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase()))
    }
    const style = win.getComputedStyle(el)
    const out = []
    for (const name of names) out.push(name + ': ' + style.getPropertyValue(name))
    return out.join('; ') || null
  }
  function follow(a) {
    const el = a?.effect?.target
    if (!el || followed.has(a) || !scripted(a)) return
    followed.add(a)
    for (const type of ['finish', 'cancel', 'remove']) a.addEventListener(type, () => say(el))
  }
  // (element.animate(), and an Animation a page builds of a KeyframeEffect and plays)
  const following = (self) => (original, on) => function () {
    const a = original.apply(this, arguments)
    if (on()) {
      try {
        follow(self ? this : a)
      } catch (e) {}
    }
    return a
  }
  const undos = [patch(win.Element.prototype, 'animate', following()), patch(win.Animation?.prototype, 'play', following(1))]
  const undo = () => undos.forEach((f) => f())
  // After a full snapshot: what the page's animations hold then (some began before the recorder did).
  // (A browser without document.getAnimations, Safari before 13.1, follows what is animated from now.)
  // (A document's animations are not its shadow roots': each root is asked.)
  undo.snapshot = (roots) => {
    say.reset()
    for (const r of roots)
      for (const a of r.getAnimations?.() || []) if (a.effect?.target && scripted(a)) follow(a), say(a.effect.target)
  }
  undo.added = say.moved
  return undo
}
