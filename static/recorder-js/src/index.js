// Entry of the bundle. The loader wraps it as
// `(function(__hsc){ ...this bundle... })({...config...})`, so `__hsc` is a
// free variable here (docs/protocol.md).
import { createRecorder } from './recorder.js'

/* global __hsc */
try {
  const h = window.__hindsight
  const parent = window.parent
  let framed
  try {
    // A same-origin frame of a page that carries the snippet is recorded by
    // that page (rrweb records same-origin frames): recorded again here, a
    // second page would go into the same session. Its commands go up.
    framed = parent !== window && parent.__insp
  } catch (e) {}
  if (framed) {
    const queued = window.__insp || []
    window.__insp = { push: (c) => parent.__insp.push(c) }
    queued.forEach(window.__insp.push)
  } else if (!h?.version) {
    // (A second copy of the script on the page does nothing.)
    window.__hindsight = { version: '1.0.0' }
    createRecorder(typeof __hsc === 'object' ? __hsc : null, window).start()
  }
} catch (e) {}
