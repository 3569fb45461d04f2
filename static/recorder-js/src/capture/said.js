// An attribute of ours goes out for an element when its value changes from what went out for it since the
// last full snapshot (whose DOM has none: `reset`), or, `again`, for an element the replay builds anew (added
// by a change, or moved: rrweb's replay builds a moved node anew), which holds none; `moved(el)` does so for
// an element that had a value. `read(el)`: the value, null for no attribute, undefined for not ours to say.
// Whether it went out (or changed, where `report` chose to say nothing).
export function sayer(read, report) {
  let said = new WeakMap()
  const say = (el, again) => {
    try {
      const v = read(el)
      return v !== undefined && (again || !said.has(el) ? null : said.get(el)) !== v && (said.set(el, v), report(el, v), 1)
    } catch (e) {} // (in the page's own calls and events: nothing of ours reaches it)
  }
  say.reset = () => (said = new WeakMap())
  say.moved = (el) => said.get(el) != null && say(el, 1)
  return say
}
