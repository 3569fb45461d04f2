import { B } from './clean.js'
import { stringify } from './json.js'

// localStorage as JSON, never throwing. Every key we use starts with `hs_`.
// Returns null when storage is unavailable (blocked site data, sandboxed
// frame): without it we cannot see an opt-out, so the recorder stays off.
export const PREFIX = 'hs_'

export function createStore(win) {
  let ls
  try {
    ls = win.localStorage
    ls.getItem(PREFIX + 'optout') // throws when access is denied; a read, not a write
  } catch (e) {
    return null
  }
  return {
    get(k) {
      try {
        const v = ls.getItem(PREFIX + k)
        return v == null ? null : B.JSON.parse(v)
      } catch (e) {
        return null
      }
    },
    set(k, v) {
      try {
        ls.setItem(PREFIX + k, stringify(v))
        return true
      } catch (e) {
        return false
      }
    },
    // The raw text of a key, for a comparison as cheap as can be made on every event.
    peek(k) {
      try {
        return ls.getItem(PREFIX + k)
      } catch (e) {
        return null
      }
    },
    del(k) {
      try {
        ls.removeItem(PREFIX + k)
      } catch (e) {}
    },
    // Our keys, for the opt-out's clean-up.
    keys() {
      const out = []
      try {
        for (let i = 0; i < ls.length; i++) {
          const k = ls.key(i)
          if (k?.indexOf(PREFIX) === 0) out.push(k.slice(PREFIX.length))
        }
      } catch (e) {}
      return out
    },
  }
}
