// Bundles the player for the dashboard: one minified IIFE script and one
// stylesheet (ours plus rrweb's cursor/wrapper styles), both in static/build/.
import * as esbuild from 'esbuild';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.resolve(here, '../build');
const watch = process.argv.includes('--watch');

// rrweb's replayer rewrites each replayed stylesheet for the frame it replays
// in. Each cut must match exactly once, so that another rrweb fails the build
// instead of shipping without it.
const cuts = [
  // It makes :hover rules match a class it puts on the hovered elements; the
  // same for :focus, :focus-within and :focus-visible, whose classes
  // src/focus.js puts on the focused element and those around it, and for
  // :target, whose class src/target.js puts on the fragment's element.
  [`          if (selector.includes(":hover")) {
            rule2.selector += ",\\n" + selector.replace(/:hover/g, ".\\\\:hover");
          }`, `          if (/:hover|:focus|:target/.test(selector)) {
            rule2.selector += ",\\n" + selector.replace(/:(hover|focus-within|focus-visible|focus|target)(?![\\w-])/g, ".\\\\:$1");
          }`],
  // Our attributes stand for :user-invalid, :user-valid, :invalid, :valid and :state() (src/states.js).
  // (Media queries the replay's frame would answer otherwise than the visitor's page, `scripting` among
  // them, are answered in the events before rrweb sees them: src/media.js.)
  [`        fixed.push(rule2);\n`, `        fixed.push(rule2);\n        rule2.selector = __hspStates(rule2.selector);\n`],
  // The rewrite is also exported, for the rules a page's script inserts, which rrweb inserts as they are
  // (src/states.js).
  [`export {\n  Replayer\n};`, `export {\n  Replayer,\n  adaptCssForReplay\n};`],
];
const states = JSON.stringify(path.join(here, 'src/states.js'));
const replayCuts = {
  name: 'replay-cuts',
  setup(b) {
    b.onLoad({ filter: /@rrweb[\\/]replay[\\/]dist[\\/]replay\.js$/ }, async (args) => {
      let src = await readFile(args.path, 'utf8');
      for (const [from, to] of cuts) {
        if (src.split(from).length !== 2) throw new Error(`replay-cuts: not found once in this rrweb (check build.mjs): ${from}`);
        src = src.replace(from, to);
      }
      return { contents: `import { statesRewritten as __hspStates } from ${states};\n` + src, loader: 'js' };
    });
  },
};

const common = {
  plugins: [replayCuts],
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
