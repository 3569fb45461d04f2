// The body of the gzip worker's function (build.mjs; src/worker-src.js): __hsw is its argument.
import { WORKER } from './worker-src.js'

WORKER(__hsw)
