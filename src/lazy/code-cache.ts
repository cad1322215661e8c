import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Script } from 'node:vm';

/**
 * A CommonJS file compiled by V8 with a code cache: the bytecode of its functions saved by an earlier process,
 * which V8 then deserializes instead of parsing and compiling the source again (`vm.Script` `cachedData`). V8
 * accepts a cache only when it was made by the same V8 build, under the same V8 flags — including flags set at
 * run time with `v8.setFlagsFromString` — for a source of the same length, and rejects it otherwise
 * (`cachedDataRejected`), compiling the source as usual.
 *
 * What V8 does not check, we do: a release V8 trusts the cache's payload (no checksum; a flipped byte aborts the
 * process in the deserializer, "Fatal error … unreachable code") and knows the source only by its length. So the
 * file starts with the SHA-256 of the source and the payload, and a cache that does not match its source is never
 * handed to V8 (~0.5 ms for undici's 360 KB bundle).
 *
 * node:vm is required when a function runs, not at module load: the start-up snapshot holds this module, and
 * Node 20 has not verified vm's bindings in snapshots.
 */

/** Node's CommonJS wrapper (`Module.wrap`), written out so the producer and the consumer compile the same text. */
const WRAPPER_HEAD = '(function (exports, require, module, __filename, __dirname) { ';
const WRAPPER_TAIL = '\n});';

/** Bytes of SHA-256 ahead of V8's payload in a cache file. */
const CHECK_BYTES = 32;

type ModuleFunction = (
  exports: unknown,
  require: NodeJS.Require,
  module: { exports: unknown },
  filename: string,
  dirname: string,
) => void;

export interface CompiledModule {
  /** Absolute path of the module. */
  readonly file: string;
  /** The module's bytes, as compiled. */
  readonly source: Buffer;
  readonly script: Script;
}

/**
 * What became of a cache: `accepted` (V8 used it), `rejected` (V8 refused it and compiled the source: other
 * flags or V8), `missing` (no such file), `mismatch` (made for another source, or corrupt: not compiled at all).
 */
export type CodeCacheUse = 'accepted' | 'rejected' | 'missing' | 'mismatch';

function check(source: Buffer, payload: Buffer): Buffer {
  return createHash('sha256').update(source).update(payload).digest();
}

function compile(file: string, source: Buffer, cachedData?: Buffer): Script {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- at run time only (see above)
  const { Script: VmScript } = require('node:vm') as typeof import('node:vm');
  const text = `${WRAPPER_HEAD}${source.toString('utf8')}${WRAPPER_TAIL}`;
  return new VmScript(text, { filename: file, ...(cachedData && { cachedData }) });
}

/** `modulePath` compiled from source (not run), for a producer of its cache. */
export function compileModule(modulePath: string): CompiledModule {
  const file = resolve(modulePath);
  const source = readFileSync(file);
  return { file, source, script: compile(file, source) };
}

/** `modulePath` compiled with the cache in `cacheFile`; compiled only when the cache matches the source. */
export function compileWithCodeCache(
  modulePath: string,
  cacheFile: string,
): { use: 'accepted' | 'rejected'; compiled: CompiledModule } | { use: 'missing' | 'mismatch' } {
  let cache: Buffer;
  try {
    cache = readFileSync(cacheFile);
  } catch {
    return { use: 'missing' };
  }
  const file = resolve(modulePath);
  const source = readFileSync(file);
  const payload = cache.subarray(CHECK_BYTES);
  if (cache.length <= CHECK_BYTES || !check(source, payload).equals(cache.subarray(0, CHECK_BYTES))) {
    return { use: 'mismatch' };
  }
  const script = compile(file, source, payload);
  return {
    use: script.cachedDataRejected === true ? 'rejected' : 'accepted',
    compiled: { file, source, script },
  };
}

/** Runs a compiled module as `require` would, once; returns its `module.exports`. */
export function runModule(compiled: CompiledModule): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- at run time only (see above)
  const { createRequire } = require('node:module') as typeof import('node:module');
  const { file } = compiled;
  const moduleFunction = compiled.script.runInThisContext() as ModuleFunction;
  const module = { exports: {} as unknown };
  moduleFunction.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  return module.exports;
}

/**
 * Writes the code cache of a module compiled (and run, for the functions V8 compiles only when they are first
 * called) in this process, under this process's V8 flags. Written beside and renamed into place: a reader never
 * sees half a cache. Returns its size in bytes.
 */
export function writeCodeCache(compiled: CompiledModule, cacheFile: string): number {
  const payload = compiled.script.createCachedData();
  const partial = `${cacheFile}.partial`;
  writeFileSync(partial, Buffer.concat([check(compiled.source, payload), payload]));
  renameSync(partial, cacheFile);
  return CHECK_BYTES + payload.length;
}

/**
 * The V8 flags this process got on its command line (`process.execArgv` less the node option that names a file,
 * `--snapshot-blob BLOB`), as a file-name part: `''`, or `+initial-heap-size=64`. A code cache is named by the
 * flags it was made under, so a process opens only the one V8 can accept from it (flags from NODE_OPTIONS are not
 * in execArgv: such a process finds a cache V8 then rejects, and goes without).
 */
export function commandLineFlagsTag(execArgv: readonly string[] = process.execArgv): string {
  const flags = execArgv.filter(
    (arg, index) =>
      arg.startsWith('--') && !arg.startsWith('--snapshot-blob') && execArgv[index - 1] !== '--snapshot-blob',
  );
  return flags.map((flag) => `+${flag.slice(2).replace(/[^\w.=-]/g, '_')}`).join('');
}
