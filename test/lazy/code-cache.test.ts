import { afterAll, describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  commandLineFlagsTag,
  compileModule,
  compileWithCodeCache,
  runModule,
} from '../../src/lazy/code-cache';
import { makeTempDir, removeTempDirs, REPO_ROOT, runOk } from '../harness';

// lazy/code-cache.ts: a CommonJS file compiled by V8 with a code cache (what undici-lite runs undici's bundle
// with). Producer and consumer run in child nodes, as the build and kimg do: V8 checks a cache against the flags
// of the process that reads it, which a test has to vary.

afterAll(removeTempDirs);

const CODE_CACHE = join(REPO_ROOT, 'src', 'lazy', 'code-cache.ts');
const TS_REGISTER = join(REPO_ROOT, 'test', 'harness', 'ts-register.js');

/** A module with a dependency beside it and functions V8 compiles only when they run. */
async function moduleDir(): Promise<string> {
  const dir = await makeTempDir();
  writeFileSync(join(dir, 'dep.js'), 'exports.twice = (n) => n * 2;\n');
  writeFileSync(
    join(dir, 'main.js'),
    [
      "const { twice } = require('./dep');",
      "const path = require('node:path');",
      'function later(n) { return twice(n) + 1; }',
      'module.exports = { answer: later(20), file: path.basename(__filename), dir: __dirname, self: this === exports };',
      '',
    ].join('\n'),
  );
  return dir;
}

/** In a child node started with `flags`: `setup` (JavaScript), then `body` with `c` = the code-cache module. */
async function inChild(flags: string[], body: string, setup = ''): Promise<unknown> {
  const script = `${setup}; const c = require(${JSON.stringify(CODE_CACHE)}); ${body}`;
  const { stdout } = await runOk(process.execPath, [...flags, '-r', TS_REGISTER, '-e', script], {
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return JSON.parse(stdout) as unknown;
}

async function produce(flags: string[], main: string, cache: string, setup = ''): Promise<void> {
  await inChild(
    flags,
    `const m = c.compileModule(${JSON.stringify(main)}); c.runModule(m);` +
      ` console.log(c.writeCodeCache(m, ${JSON.stringify(cache)}));`,
    setup,
  );
}

async function consume(flags: string[], main: string, cache: string, setup = ''): Promise<unknown> {
  return inChild(
    flags,
    `const r = c.compileWithCodeCache(${JSON.stringify(main)}, ${JSON.stringify(cache)});` +
      ` console.log(JSON.stringify({ use: r.use, exports: r.compiled && c.runModule(r.compiled) }));`,
    setup,
  );
}

describe('a module compiled with a V8 code cache', () => {
  it('runs as require would: exports, this, __filename, __dirname, require from its own folder', async () => {
    const dir = await moduleDir();
    expect(runModule(compileModule(join(dir, 'main.js')))).toEqual({
      answer: 41,
      file: 'main.js',
      dir,
      self: true,
    });
  });

  it('a cache is accepted under the flags it was made under, rejected under other or run-time-set flags', async () => {
    const dir = await moduleDir();
    const main = join(dir, 'main.js');
    const exports = { answer: 41, file: 'main.js', dir, self: true };
    const plain = join(dir, 'plain.cache');
    await produce([], main, plain);
    expect(readdirSync(dir).filter((name) => name.endsWith('.partial'))).toEqual([]);
    expect(await consume([], main, plain)).toEqual({ use: 'accepted', exports });
    // What bin/kimg starts the snapshot with: another flag hash.
    expect(await consume(['--initial-heap-size=64'], main, plain)).toEqual({ use: 'rejected', exports });
    // A flag set at run time counts too (undici-lite sets --liftoff-only before it loads undici).
    const liftoff = "require('node:v8').setFlagsFromString('--liftoff-only')";
    expect(await consume([], main, plain, liftoff)).toEqual({ use: 'rejected', exports });
    const withLiftoff = join(dir, 'liftoff.cache');
    await produce(['--initial-heap-size=64'], main, withLiftoff, liftoff);
    expect(await consume(['--initial-heap-size=64'], main, withLiftoff, liftoff)).toEqual({
      use: 'accepted',
      exports,
    });
  });

  it('a corrupt cache, one for other source, or none is never given to V8 (a release V8 would abort on it)', async () => {
    const dir = await moduleDir();
    const main = join(dir, 'main.js');
    const cache = join(dir, 'main.cache');
    await produce([], main, cache);
    expect(await consume([], main, cache)).toEqual({ use: 'accepted', exports: expect.anything() });
    // Bytes flipped in V8's payload: a release V8 does not checksum it and dies in the deserializer (SIGTRAP).
    const corrupt = join(dir, 'corrupt.cache');
    const bytes = readFileSync(cache);
    for (let at = 64; at < bytes.length; at += 97) bytes[at] = (bytes[at] ?? 0) ^ 0xff;
    writeFileSync(corrupt, bytes);
    expect(await consume([], main, corrupt)).toEqual({ use: 'mismatch' });
    writeFileSync(join(dir, 'short.cache'), bytes.subarray(0, 16));
    expect(await consume([], main, join(dir, 'short.cache'))).toEqual({ use: 'mismatch' });
    // The same length of other source: V8 would take the cache (it knows a source by its length only).
    const text = readFileSync(main, 'utf8');
    writeFileSync(main, text.replace('twice(n) + 1', 'twice(n) + 2'));
    expect(await consume([], main, cache)).toEqual({ use: 'mismatch' });
    expect(compileWithCodeCache(main, join(dir, 'none.cache'))).toEqual({ use: 'missing' });
    expect(readdirSync(dir).filter((name) => name.endsWith('.partial'))).toEqual([]);
  });
});

describe('commandLineFlagsTag (which cache a process opens)', () => {
  it('names the V8 flags of the command line, not the snapshot blob bin/kimg passes', () => {
    expect(commandLineFlagsTag([])).toBe('');
    expect(commandLineFlagsTag(['--initial-heap-size=64', '--snapshot-blob', '/p/kimg-1-2.blob'])).toBe(
      '+initial-heap-size=64',
    );
    expect(commandLineFlagsTag(['--snapshot-blob=/p/kimg.blob', '--max-old-space-size=512'])).toBe(
      '+max-old-space-size=512',
    );
    expect(commandLineFlagsTag(['--stack-size=900', '--inspect=127.0.0.1:9229'])).toBe(
      '+stack-size=900+inspect=127.0.0.1_9229',
    );
  });
});
