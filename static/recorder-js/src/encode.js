// Events become JSON here, in two encodings the server undoes before anything
// else reads an event (docs/protocol.md, "Node ids" and "Text changes").
//
// Node ids: in full snapshots and DOM changes every id-like key holds its
// value minus the previous value of the same key in the event. Ids in a
// snapshot or a re-rendered table then repeat the same small steps (siblings
// share a parentId, a new node's id is the last one plus 1), which gzip turns
// into long matches: on a busy page, half the bytes.
//
// Numbers in text: a text change whose node showed a number earlier in the
// same batch, and shows the same number format now ("264.87" -> "264.91",
// "+0.43" -> "-0.57", "118.86M" -> "119.02M"), is written as the difference
// in its last digit ({"id":…,"n":4}); a live price or counter then costs a
// few bits instead of every digit; the same for a text node that replaces
// another. Only where applying it gives back exactly the new text: nothing
// the page showed is changed or lost. When each node changes once in the
// change, the steps leave `texts` for two columns, "textSteps": [ids, steps]:
// a page updates the same cells in the same order every tick, so the column
// of ids repeats whole from one change to the next (gzip's long matches) and
// the steps sit together, a character each (stepText below).
//
// Attribute changes: when each names one attribute, to a string or null, and
// their ids ascend, they leave `attributes` for columns by attribute name,
// "attrColumns": [[name, ids, values], ...], the ids as differences within the
// column: a page's cells change the same attribute (a class, a style) every
// tick, so each column's ids and values repeat whole from one change to the
// next. The server sorts them back by id: the same list as before.
import { numDiff } from './text.js'

export const ID_KEYS = { id: 1, parentId: 1, nextId: 1, previousId: 1 }

const hasNodes = (e) => e.type === 2 || (e.type === 3 && e.data.source === 0)

// node id -> its text as last written in the open batch
let shown = new Map()
// A new batch starts: its text changes must not refer to another batch's.
export function batchStart() {
  shown = new Map()
}

function step(id, text, before) {
  shown.set(id, text)
  return typeof before === 'string' && typeof text === 'string' ? numDiff(before, text) : undefined
}

function textChange(t) {
  const n = step(t.id, t.value, shown.get(t.id))
  return n === undefined ? t : { id: t.id, n }
}

// A page that sets an element's textContent replaces its text node: rrweb
// writes a removal and an addition. The added text steps from the text of
// the one text node removed from the same parent in the same change.
function textAdds(d) {
  const removed = new Map() // parentId -> that text, or null when several
  for (const r of d.removes) {
    const t = shown.get(r.id)
    if (typeof t === 'string') removed.set(r.parentId, removed.has(r.parentId) ? null : t)
  }
  return d.adds.map((a) => {
    const n = a.node.type === 3 ? step(a.node.id, a.node.textContent, removed.get(a.parentId)) : undefined
    if (n === undefined) return a
    const { textContent, ...node } = a.node
    return { ...a, node: { ...node, n } }
  })
}

// The steps as a string of one character each (docs/protocol.md): gzip codes
// each character by how often it comes, near what a step holds (bits, not the
// digits, sign and comma of a number). Characters are the 93 printable ASCII
// ones that JSON writes as they are. The first three mean the step before
// (in the string; 0 before the first) -1, +0 and +1: a page that shows one
// value in several places (a price and its change) steps them alike. The
// next 89 are the steps -44 to 44 (0, -1, 1, -2, ...); `~` then the step in
// decimal and `,` is any other.
let CHARS = ''
for (let c = 32; c < 127; c++) if (c !== 34 && c !== 92) CHARS += String.fromCharCode(c)

export function stepText(steps) {
  let last = 0
  return steps
    .map((n) => {
      const d = n - last + 1
      const z = n < 0 ? -2 * n - 1 : 2 * n
      last = n
      return d >= 0 && d < 3 ? CHARS[d] : z < 89 ? CHARS[z + 3] : '~' + n + ','
    })
    .join('')
}

// Ids as differences within the column (the first as it is), then the steps.
function textColumns(texts) {
  const ids = []
  const steps = []
  const seen = new Set()
  let last = 0
  for (const t of texts) {
    if (seen.has(t.id)) return undefined // a node changed twice: steps stay in order, inline
    seen.add(t.id)
    if (t.n === undefined) continue
    ids.push(t.id - last)
    steps.push(t.n)
    last = t.id
  }
  return ids.length ? [ids, stepText(steps)] : undefined
}

function attrColumns(items) {
  const columns = new Map() // name -> [name, ids, values, last id]
  let last = -Infinity
  for (const { id, attributes } of items) {
    const names = Object.keys(attributes)
    const value = attributes[names[0]]
    if (names.length !== 1 || !(id > last) || (value !== null && typeof value !== 'string')) return
    const c = columns.get(names[0]) || columns.set(names[0], [names[0], [], [], 0]).get(names[0])
    c[1].push(id - c[3])
    c[2].push(value)
    c[3] = last = id
  }
  return [...columns.values()].map((c) => c.slice(0, 3))
}

// The event's JSON in these encodings (in the gzip worker, worker.js, on the
// plain JSON the page's main thread wrote). JSON.stringify throws on a value
// thousands of levels deep: that event then goes as it came, plain.
export function eventJson(e) {
  if (!hasNodes(e)) return JSON.stringify(e)
  if (e.type === 3) {
    let texts = e.data.texts.map(textChange) // first: what the removals below refer to
    const textSteps = textColumns(texts)
    if (textSteps) texts = texts.filter((t) => t.n === undefined)
    const attrs = e.data.attributes.length ? attrColumns(e.data.attributes) : undefined
    e = {
      ...e,
      data: {
        ...e.data,
        texts,
        adds: textAdds(e.data),
        ...(textSteps && { textSteps }),
        ...(attrs && { attributes: [], attrColumns: attrs }),
      },
    }
  }
  const last = { id: 0, parentId: 0, nextId: 0, previousId: 0 }
  return JSON.stringify({ ...e, ids: 'delta' }, (k, v) => {
    if (ID_KEYS[k] !== 1 || !Number.isInteger(v)) return v
    const d = v - last[k]
    last[k] = v
    return d
  })
}
