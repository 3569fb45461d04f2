// The gzip worker's code, as one function of the scope it runs in (`g`: in the worker, self), which
// it gives its onmessage and join (worker.js). build.mjs puts here the same function with everything
// it uses inside it (src/worker-main.js, bundled and minified, as its body), so that its text alone
// runs in a Worker (gzip.js), and a closing page can call it for an encoder of its own (encodeNow).
import { createWorker } from './worker.js'

// (It returns nothing: build.mjs's function is the worker's bundle, which returns nothing either.)
export const WORKER = (g) => {
  Object.assign(g, createWorker((message, transfer) => g.postMessage(message, transfer), g))
}
