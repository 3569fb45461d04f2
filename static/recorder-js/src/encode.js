// Events become JSON here. In full snapshots and DOM changes, node ids are
// written as differences (docs/protocol.md, "Node ids"): every id-like key
// holds its value minus the previous value of the same key in the event.
// Ids in a snapshot or a re-rendered table then repeat the same small steps
// (siblings share a parentId, a new node's id is the last one plus 1), which
// gzip turns into long matches: on a busy page, half the bytes.
// The server restores them before anything else reads the event.
import { stringify } from './json.js'

export const ID_KEYS = { id: 1, parentId: 1, nextId: 1, previousId: 1 }

const hasNodes = (e) => e.type === 2 || (e.type === 3 && e.data.source === 0)

export function eventJson(e) {
  if (!hasNodes(e)) return stringify(e)
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
