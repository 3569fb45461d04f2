// The gzip worker's entry point (see worker.js).
import { createWorker } from './worker.js'

onmessage = createWorker((message, transfer) => postMessage(message, transfer), self).onmessage
