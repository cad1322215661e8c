import { join } from 'node:path';
import { commandLineFlagsTag, compileWithCodeCache, runModule } from '../../lazy/code-cache';
import { requireAtRunTime } from '../../lazy/deferred-module';
import { nodeBinaryKey } from '../../lazy/node-binary-key';
import { packageRoot } from '../../lazy/package-root';

/**
 * undici's two parts (undici-lite.ts) as one file made by `npm run build` (scripts/build-snapshot.js: esbuild,
 * whitespace and syntax minified, undici's own code unchanged) plus its V8 code caches. Required one by one, the
 * ~45 files cost a registry command 20–27 ms of its critical path; the one file run from its code cache ~16 ms,
 * most of it the built-ins undici requires (docs/architecture.md "Start-up").
 */

/** The files the bundle's entry requires; undici-lite requires the same ones when there is no bundle. */
export const UNDICI_PART_PATHS = {
  Agent: 'undici/lib/dispatcher/agent',
  request: 'undici/lib/api/api-request',
} as const;

export interface UndiciBundleFiles {
  /** The installed undici's version: a bundle of another version is never used (npm update without a build). */
  version: string;
  /** `dist/snapshot/undici-VERSION.js` */
  bundle: string;
  /**
   * `dist/snapshot/undici-VERSION-NODEKEY[+FLAG…].cache`: a code cache only loads in the V8 that made it, under
   * the V8 flags it was made under (bin/kimg starts the snapshot with `--initial-heap-size=64`, the ordinary start
   * with none: the build makes one cache for each).
   */
  cache: string;
}

/**
 * Where the bundle and the code cache of the installed undici are, for this node binary and a process started
 * with `flagsTag` (lazy/code-cache's commandLineFlagsTag: this process's by default).
 */
export function undiciBundleFiles(
  root: string = packageRoot(),
  flagsTag: string = commandLineFlagsTag(),
): UndiciBundleFiles {
  const { version } = requireAtRunTime('undici/package.json') as { version: string };
  const folder = join(root, 'dist', 'snapshot');
  return {
    version,
    bundle: join(folder, `undici-${version}.js`),
    cache: join(folder, `undici-${version}-${nodeBinaryKey()}${flagsTag}.cache`),
  };
}

/** The bundle's exports, or why it was not used (then undici-lite loads undici's files one by one). */
export type BundleLoad = { exports: unknown } | { reason: string };

/**
 * The bundle run from its code cache, only when V8 accepts the cache: no cache for this node and these flags, a
 * cache of another bundle or a corrupt one, one V8 refuses (other V8 flags or V8) is a reason, never a failure.
 * A refused cache means the bundle was compiled from source; it is not run: kimg then loads undici as it always
 * did, so the bundle only ever runs the way the build checked it.
 */
export function loadUndiciBundle(files: UndiciBundleFiles = undiciBundleFiles()): BundleLoad {
  const loaded = compileWithCodeCache(files.bundle, files.cache);
  switch (loaded.use) {
    case 'accepted':
      return { exports: runModule(loaded.compiled) };
    case 'rejected':
      return { reason: `V8 rejected the code cache ${files.cache}` };
    case 'mismatch':
      return { reason: `the code cache ${files.cache} does not match ${files.bundle}` };
    case 'missing':
      return { reason: `no code cache ${files.cache}` };
  }
}
