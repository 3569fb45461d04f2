// Bundles the player for the dashboard: one minified IIFE script and one
// stylesheet (ours plus rrweb's cursor/wrapper styles), both in static/build/.
import * as esbuild from 'esbuild';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.resolve(here, '../build');
const watch = process.argv.includes('--watch');

// rrweb's replayer makes each replayed stylesheet's :hover rules match a
// class it puts on the hovered elements; the same for :focus, :focus-within
// and :focus-visible, whose classes src/focus.js puts on the focused element
// and those around it. The cut must match exactly once, so that another rrweb
// fails the build instead of shipping without it.
const pseudoClasses = {
  name: 'focus-classes',
  setup(b) {
    b.onLoad({ filter: /@rrweb[\\/]replay[\\/]dist[\\/]replay\.js$/ }, async (args) => {
      const src = await readFile(args.path, 'utf8');
      const from = `          if (selector.includes(":hover")) {
            rule2.selector += ",\\n" + selector.replace(/:hover/g, ".\\\\:hover");
          }`;
      const to = `          if (/:hover|:focus/.test(selector)) {
            rule2.selector += ",\\n" + selector.replace(/:(hover|focus-within|focus-visible|focus)(?![\\w-])/g, ".\\\\:$1");
          }`;
      if (src.split(from).length !== 2) throw new Error('focus-classes: rrweb\'s :hover rewrite not found once; check build.mjs against this rrweb');
      return { contents: src.replace(from, to), loader: 'js' };
    });
  },
};

const common = {
  plugins: [pseudoClasses],
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
