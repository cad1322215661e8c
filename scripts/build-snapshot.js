#!/usr/bin/env node
// The start-up snapshot (docs/architecture.md "Start-up"), made by `npm run build` after tsc:
//   1. esbuild bundles dist/cli/snapshot-main.js and everything it loads into dist/snapshot/kimg.js;
//   2. `node --build-snapshot` runs that bundle and writes the heap to dist/snapshot/kimg-KEY.blob, where KEY is
//      the size and mtime of this node binary: a blob only loads in the node that made it, and bin/kimg (a
//      shell script) can compute the same key with stat(1) without starting node first.
// bin/kimg uses the blob when it exists for the node it runs; otherwise (no blob, another node, NODE_OPTIONS
// set, KIMG_NO_SNAPSHOT=1) it starts dist/ the ordinary way. So a failure here is reported, not fatal.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'dist', 'snapshot');
const BUNDLE = path.join(OUT, 'kimg.js');

/**
 * Modules the bundle loads at run time instead of holding them in the snapshot (lazy/deferred-module.ts): a native
 * addon (zstd-napi), a package that installs process signal handlers when it loads (proper-lockfile, through
 * signal-exit), one with native optional parts used by one transport (dockerode), undici (loaded at run time by
 * registry/http/undici-lite anyway), and the built-ins whose native objects a Node 20 snapshot cannot hold (the
 * HTTP/1 and HTTP/2 parsers' bindings) or that Node has not verified in snapshots (tls, net, child_process…).
 */
const DEFERRED =
  /^(zstd-napi(\/.*)?|proper-lockfile|dockerode|undici(\/.*)?|(node:)?(http|https|http2|tls|net|child_process|worker_threads|module))$/;

/** The key bin/kimg computes as `stat -Lc %s-%Y "$(command -v node)"` (lazy/node-binary-key.ts, built by tsc). */
function nodeKey() {
  return require('../dist/lazy/node-binary-key.js').nodeBinaryKey();
}

/** esbuild options of both bundles (the snapshot's and undici's). */
const BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
  // Whitespace and syntax only (names stay, for stack traces): the snapshot holds the bundle's source, and
  // a smaller heap starts faster (13.3 → 9.4 MB blob; `kimg --version` ~0.02 s sooner).
  minifyWhitespace: true,
  minifySyntax: true,
};

async function bundle() {
  const esbuild = require('esbuild');
  const loader = path.join(ROOT, 'dist', 'lazy', 'deferred-module.js');
  const deferredModule = JSON.stringify(loader);
  await esbuild.build({
    // A one-line entry: the snapshot builder runs the bundle as a script with `require` but no `exports`, which
    // tsc's module prologue in snapshot-main.js would need at the top level.
    stdin: {
      contents: `require(${JSON.stringify(path.join(ROOT, 'dist', 'cli', 'snapshot-main.js'))});`,
      resolveDir: ROOT,
      sourcefile: 'snapshot-entry.js',
    },
    outfile: BUNDLE,
    ...BUNDLE_OPTIONS,
    plugins: [
      {
        name: 'deferred-modules',
        setup(build) {
          // The loader itself requires node:module for real (at run time, inside a function).
          build.onResolve({ filter: DEFERRED }, (args) =>
            args.importer === loader ? undefined : { path: args.path, namespace: 'deferred' },
          );
          build.onLoad({ filter: /.*/, namespace: 'deferred' }, (args) => ({
            contents: `module.exports = require(${deferredModule}).deferredModule(${JSON.stringify(args.path)});`,
            resolveDir: ROOT,
          }));
        },
      },
    ],
  });
}

/**
 * V8 flags the blob is made with, which bin/kimg must pass when it starts from the blob (V8 refuses a snapshot made
 * under other flags): keep the two lists equal (test/cli/startup-snapshot.test.ts starts from the blob).
 * `--initial-heap-size=64` (MB of old generation before the first full GC): a kimg command keeps ~8 MB live, and
 * with V8's small default budget a 250 MB build ran 8–9 mark-compacts (~0.1 s of its main thread, --trace-gc),
 * started because the young generation's transferred buffers made the old generation's headroom look short.
 * `--interrupt-budget=270336` (4 × V8 11's default): how much bytecode a function runs before V8 considers
 * optimising it with TurboFan. A kimg command lives about a second; TurboFan compiles on a background thread, and
 * on 2 cores shared with the registries it served, that thread took CPU from them for functions that ran a few
 * hundred times: a 20-image `kimg sync` used ~25 ms less CPU (0.44 → 0.41 s, median of 10 interleaved runs),
 * while a 250 MB build's CPU ratio to its gzip floor was unchanged (hot loops still reach the budget, later).
 * Turning TurboFan off (`--max-opt=1`) saved as much but would leave a long mirror or build unoptimised.
 */
const SNAPSHOT_V8_FLAGS = ['--initial-heap-size=64', '--interrupt-budget=270336'];

/**
 * This node run with `args` in dist/snapshot/, and no NODE_OPTIONS: a child that makes a blob or a code cache must
 * run under exactly the V8 flags it is given (V8 checks them when the file is used).
 */
function childNode(args) {
  return spawnSync(process.execPath, args, {
    cwd: OUT,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
}

function snapshot() {
  const blob = path.join(OUT, `kimg-${nodeKey()}.blob`);
  const partial = `${blob}.partial`;
  const result = childNode([...SNAPSHOT_V8_FLAGS, '--snapshot-blob', partial, '--build-snapshot', BUNDLE]);
  // Node warns about each built-in it has not verified in snapshots (node:fs, node:zlib …); the rest is worth showing.
  const noise =
    /not yet fully verified|may still work in some cases|request support for the module|--trace-warnings/;
  const messages = `${result.stderr}`.split('\n').filter((line) => line.trim() !== '' && !noise.test(line));
  if (result.status !== 0 || !fs.existsSync(partial)) {
    throw new Error(`node --build-snapshot exited ${result.status ?? result.signal}\n${messages.join('\n')}`);
  }
  if (messages.length > 0) process.stderr.write(`${messages.join('\n')}\n`);
  fs.renameSync(partial, blob);
  return blob;
}

/**
 * undici's Agent and request API as one file with V8 code caches (registry/http/undici-bundle.ts), which
 * undici-lite runs in place of undici's ~45 files when V8 accepts the cache: ~22 → ~11 ms of every registry
 * command's critical path. The bundle is undici's code as installed (whitespace and syntax minified, names kept);
 * it requires only built-ins. V8 rejects a cache made under other V8 flags, so there is one cache per way bin/kimg
 * starts node — from the snapshot (SNAPSHOT_V8_FLAGS) and the ordinary start (none) — each made in a child node
 * started with those flags, where undici-lite's producer sets the flag undici-lite sets at run time.
 */
const UNDICI_CACHE_FLAG_SETS = [SNAPSHOT_V8_FLAGS, []];

async function undiciBundle() {
  const { commandLineFlagsTag } = require('../dist/lazy/code-cache.js');
  const { undiciBundleFiles, UNDICI_PART_PATHS } = require('../dist/registry/http/undici-bundle.js');
  const { bundle } = undiciBundleFiles(ROOT, '');
  const entry = Object.entries(UNDICI_PART_PATHS)
    .map(([name, specifier]) => `${name}: require(${JSON.stringify(specifier)})`)
    .join(', ');
  await require('esbuild').build({
    stdin: { contents: `module.exports = { ${entry} };`, resolveDir: ROOT, sourcefile: 'undici-entry.js' },
    outfile: bundle,
    ...BUNDLE_OPTIONS,
  });
  const producer = path.join(ROOT, 'dist', 'registry', 'http', 'undici-code-cache.js');
  return UNDICI_CACHE_FLAG_SETS.map((flags) => {
    const { cache } = undiciBundleFiles(ROOT, commandLineFlagsTag(flags));
    const write = `require(${JSON.stringify(producer)}).writeUndiciCodeCache(${JSON.stringify(bundle)}, ${JSON.stringify(cache)}).catch((err) => { console.error(err); process.exitCode = 1; })`;
    const result = childNode([...flags, '-e', write]);
    if (result.status !== 0 || !fs.existsSync(cache)) {
      throw new Error(`the code cache producer exited ${result.status ?? result.signal}\n${result.stderr}`);
    }
    return cache;
  });
}

async function buildSnapshot() {
  // A blob from an earlier build holds earlier code: gone first, so a failed build leaves none (bin/kimg then
  // starts dist/ the ordinary way).
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  await bundle();
  return snapshot();
}

if (require.main === module) {
  buildSnapshot()
    .then(
      (blob) => process.stderr.write(`start-up snapshot: ${path.relative(ROOT, blob)}\n`),
      (err) => {
        process.stderr.write(`start-up snapshot not built (kimg starts without it): ${err.message}\n`);
      },
    )
    .then(undiciBundle)
    .then(
      (caches) =>
        process.stderr.write(
          `undici bundle: ${caches.map((cache) => path.relative(ROOT, cache)).join(', ')}\n`,
        ),
      (err) => {
        process.stderr.write(`undici bundle not built (kimg loads undici's files): ${err.message}\n`);
      },
    );
}

module.exports = { buildSnapshot, nodeKey, undiciBundle, SNAPSHOT_V8_FLAGS };
