// Entry of the bundle. The loader wraps it as
// `(function(__hsc){ ...this bundle... })({...config...})`, so `__hsc` is a
// free variable here (docs/protocol.md).
import { createRecorder } from './recorder.js'

/* global __hsc */
try {
  // A second copy of the script on the page does nothing.
  const h = window.__hindsight
  if (!(h && h.version)) {
    window.__hindsight = { version: '1.0.0' }
    createRecorder(typeof __hsc === 'object' ? __hsc : null, window).start()
  }
} catch (e) {}
