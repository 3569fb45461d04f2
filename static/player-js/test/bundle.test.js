// The player loads on every replay page: keep its weight in check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const BUDGET_JS_GZIP = 90 * 1024; // rrweb's replayer alone is about 65 KiB
const BUDGET_CSS_GZIP = 8 * 1024;

test('the build fits its gzipped budget', () => {
  execFileSync(process.execPath, [here('../build.mjs')], { stdio: 'pipe' });
  const js = gzipSync(readFileSync(here('../../build/player.js'))).length;
  const css = gzipSync(readFileSync(here('../../build/player.css'))).length;
  assert.ok(js <= BUDGET_JS_GZIP, `player.js is ${js} bytes gzipped`);
  assert.ok(css <= BUDGET_CSS_GZIP, `player.css is ${css} bytes gzipped`);
});
