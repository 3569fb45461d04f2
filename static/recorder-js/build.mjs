// Bundles src/index.js into ../build/recorder.js: one minified IIFE.
import { readFile } from 'node:fs/promises'
import { build } from 'esbuild'

// rrweb inlines the source of its canvas worker (~1 KB gzipped) and builds a
// Blob of it on every page load. We never record canvas (recordCanvas is
// off, so the worker is never started): drop that string at build time. The
// build fails if the pinned rrweb stops matching, rather than silently
// shipping the bytes.
const dropCanvasWorker = {
  name: 'drop-rrweb-canvas-worker',
  setup(b) {
    b.onLoad({ filter: /@rrweb[\\/]record[\\/]dist[\\/]record\.js$/ }, async (args) => {
      const src = await readFile(args.path, 'utf8')
      const re = /^const jsContent = '.*';$/m
      if (!re.test(src)) throw new Error('rrweb canvas worker source not found: check the drop-rrweb-canvas-worker plugin')
      return { contents: src.replace(re, "const jsContent = '';"), loader: 'js' }
    })
  },
}

export const options = {
  entryPoints: ['src/index.js'],
  bundle: true,
  format: 'iife',
  minify: true,
  target: 'es2019',
  legalComments: 'none',
  banner: { js: '/*! Hindsight recorder. Includes rrweb (MIT, github.com/rrweb-io/rrweb). */' },
  plugins: [dropCanvasWorker],
  logLevel: 'warning',
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await build({ ...options, outfile: '../build/recorder.js' })
}
