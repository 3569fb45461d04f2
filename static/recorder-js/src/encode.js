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
// few bits instead of every digit. Only where applying it gives back exactly
// the new text: nothing the page showed is changed or lost.
import { stringify } from './json.js'
import { numDiff } from './text.js'

export const ID_KEYS = { id: 1, parentId: 1, nextId: 1, previousId: 1 }

const hasNodes = (e) => e.type === 2 || (e.type === 3 && e.data.source === 0)

// node id -> its text as last written in the open batch
let shown = new Map()
// A new batch starts: its text changes must not refer to another batch's.
export function batchStart() {
  shown = new Map()
}

function textChange(t) {
  const before = shown.get(t.id)
  shown.set(t.id, t.value)
  const n = typeof before === 'string' && typeof t.value === 'string' ? numDiff(before, t.value) : undefined
  return n === undefined ? t : { id: t.id, n }
}

export function eventJson(e) {
  if (!hasNodes(e)) return stringify(e)
  if (e.type === 3 && Array.isArray(e.data.texts) && e.data.texts.length)
    e = { ...e, data: { ...e.data, texts: e.data.texts.map(textChange) } }
  // A replacer, not a rewrite: rrweb keeps the snapshot's node objects as its
  // own record of the page, so they must not change.
  return stringify({ ...e, ids: 'delta' }, () => {
    const last = { id: 0, parentId: 0, nextId: 0, previousId: 0 }
    return (k, v) => {
      if (ID_KEYS[k] !== 1 || !Number.isInteger(v)) return v
      const d = v - last[k]
      last[k] = v
      return d
    }
  })
}
