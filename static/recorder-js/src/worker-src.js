// The gzip worker's source: build.mjs puts here the minified bundle of
// src/worker-main.js (node's tests give their own stand-in for a Worker,
// which runs src/worker.js as it is).
export const WORKER_SRC = ''
