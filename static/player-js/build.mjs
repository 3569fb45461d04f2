// Bundles the player for the dashboard: one minified IIFE script and one
// stylesheet (ours plus rrweb's cursor/wrapper styles), both in static/build/.
import * as esbuild from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.resolve(here, '../build');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  minify: !watch,
  sourcemap: watch ? 'inline' : false,
  logLevel: 'info',
  legalComments: 'none',
};

const builds = [
  {
    ...common,
    entryPoints: [path.join(here, 'src/index.js')],
    outfile: path.join(outdir, 'player.js'),
    format: 'iife',
    // The dashboard supports evergreen browsers only; rrweb itself needs ES2017+.
    target: ['es2019'],
  },
  {
    ...common,
    entryPoints: [path.join(here, 'src/heatmap.js')],
    outfile: path.join(outdir, 'heatmap.js'),
    format: 'iife',
    target: ['es2019'],
  },
  {
    ...common,
    entryPoints: [path.join(here, 'src/bundle.css')],
    outfile: path.join(outdir, 'player.css'),
  },
];

if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
