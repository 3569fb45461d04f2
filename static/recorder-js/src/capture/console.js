import { B } from '../clean.js'
import { deep } from '../json.js'
import { listen, patch } from '../patch.js'
import { cut } from '../text.js'

// hs.error: uncaught errors, unhandled rejections, console.error / warn.
// Console arguments are stringified and truncated (500 chars per argument,
// 2000 in all); the page's console always gets the call.

export function stringifyArg(a) {
  if (typeof a === 'string') return a
  if (a && typeof a.message === 'string' && typeof a.stack === 'string') return (a.name || 'Error') + ': ' + a.message
  try {
    // An object is written only as far as it is kept: JSON.stringify of a page's whole store (100,000
    // entries) stalled the page to keep 500 characters of it.
    const s = a && typeof a === 'object' ? deep(a, 500) : B.JSON.stringify(a)
    if (s !== undefined && s !== '{}') return s
  } catch (e) {}
  try {
    return String(a)
  } catch (e) {
    return '?'
  }
}

export function consoleMessage(args) {
  return cut(args.map((a) => cut(stringifyArg(a), 500)).join(' '), 2000)
}

const stackOf = (x) => (x && typeof x.stack === 'string' ? cut(x.stack, 2000) : '')
const payload = (kind, message, stack, e) => ({
  kind,
  message: cut(message, 2000),
  source: cut(e?.filename || '', 500),
  line: e?.lineno | 0,
  col: e?.colno | 0,
  stack,
})

export function captureErrors(win, report) {
  const con = win.console
  let busy = false // our own reporting must not report itself
  const fromConsole = (level) => (orig, on) =>
    function () {
      if (on() && !busy) {
        busy = true
        try {
          const args = Array.prototype.slice.call(arguments)
          const err = args.find((a) => stackOf(a))
          report(payload('console.' + level, consoleMessage(args), stackOf(err)))
        } catch (e) {}
        busy = false
      }
      return orig.apply(this, arguments)
    }
  // (undo functions, each of its own: see listen())
  return [
    patch(con, 'error', fromConsole('error')),
    patch(con, 'warn', fromConsole('warn')),
    listen(win, 'error', (e) => {
      // Resource load failures also arrive here (capture phase only); we
      // listen in the bubble phase and skip anything without a message.
      if (typeof e.message === 'string') report(payload('error', e.message, stackOf(e.error), e))
    }),
    listen(win, 'unhandledrejection', (e) => {
      report(payload('rejection', stringifyArg(e.reason), stackOf(e.reason)))
    }),
  ]
}
