import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cpSync, existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandLineFlagsTag } from '../../src/lazy/code-cache';
import { undiciBundleFiles } from '../../src/registry/http/undici-bundle';
import {
  kimg,
  kimgOk,
  makeTempDir,
  removeTempDirs,
  REPO_ROOT,
  run,
  startRegistry,
  type RunningRegistry,
} from '../harness';

// undici loaded from the build's bundle with its V8 code cache (registry/http/undici-lite.ts, undici-bundle.ts,
// scripts/build-snapshot.js), against a real docker-registry: used by each way bin/kimg starts, and every
// cache or bundle that cannot be used leaves the command working, with undici loaded from node_modules.

const FROM_BUNDLE = 'kimg: debug: undici loaded from its bundle with the V8 code cache';
const FROM_PACKAGE = 'kimg: debug: undici loaded from node_modules';
const STARTED = 'kimg: debug: started from the start-up snapshot';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the build script is plain JavaScript
const { SNAPSHOT_V8_FLAGS } = require('../../scripts/build-snapshot.js') as { SNAPSHOT_V8_FLAGS: string[] };
/** The cache of bin/kimg's start from the snapshot, which passes the blob's own V8 flags. */
const SNAPSHOT_FLAGS_TAG = commandLineFlagsTag(SNAPSHOT_V8_FLAGS);

let registry: RunningRegistry;
let root: string;
let ref: string;
let digest: string;

beforeAll(async () => {
  registry = await startRegistry();
  root = await makeTempDir();
  const context = await makeTempDir();
  writeFileSync(join(context, 'Kubefile'), 'FROM scratch\nCOPY . /rootfs/\n');
  writeFileSync(join(context, 'a.yaml'), 'kind: ConfigMap\n');
  await kimgOk(['build', '-t', 'bundle/test:1', context], { root, env: { SOURCE_DATE_EPOCH: '0' } });
  ref = `docker://${registry.host}/bundle/test:1`;
  await kimgOk(['push', 'bundle/test:1', ref], { root });
  digest = (JSON.parse((await kimgOk(['inspect', ref], { root })).stdout) as { digest: string }).digest;
});

afterAll(async () => {
  await registry?.stop();
  await removeTempDirs();
});

/** `kimg --debug inspect REF` with the package at `pkg`: exit code, the undici line, the digest it printed. */
async function inspect(
  pkg: string,
  options: { env?: NodeJS.ProcessEnv; viaNode?: boolean } = {},
): Promise<{ undici: string; stderr: string; digest?: string }> {
  const bin = join(pkg, 'bin', 'kimg');
  const args = ['--debug', 'inspect', ref];
  const result = options.viaNode
    ? await run(process.execPath, [bin, ...args], { env: { ...process.env, KIMG_ROOT: root } })
    : await run(bin, args, { env: { ...process.env, ...options.env, KIMG_ROOT: root } });
  expect(result.code).toBe(0);
  const undici =
    result.stderr.split('\n').find((line) => line.startsWith('kimg: debug: undici loaded')) ?? '';
  return { undici, stderr: result.stderr, digest: (JSON.parse(result.stdout) as { digest?: string }).digest };
}

/** A copy of the built package (bin/, dist/, package.json; node_modules linked), to break its files. */
async function packageCopy(): Promise<{
  pkg: string;
  bundle: string;
  snapshotCache: string;
  plainCache: string;
}> {
  const pkg = await makeTempDir();
  for (const part of ['bin', 'dist'])
    cpSync(join(REPO_ROOT, part), join(pkg, part), { recursive: true, preserveTimestamps: true });
  cpSync(join(REPO_ROOT, 'package.json'), join(pkg, 'package.json'));
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(pkg, 'node_modules'));
  const { bundle, cache: snapshotCache } = undiciBundleFiles(pkg, SNAPSHOT_FLAGS_TAG);
  return { pkg, bundle, snapshotCache, plainCache: undiciBundleFiles(pkg, '').cache };
}

describe('undici from the build’s bundle with a V8 code cache', () => {
  it('npm run build wrote the bundle of the installed undici and a cache for each start; every start uses them', async () => {
    const version = (
      JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules/undici/package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    const files = undiciBundleFiles(REPO_ROOT, SNAPSHOT_FLAGS_TAG);
    expect(files.bundle).toBe(join(REPO_ROOT, 'dist', 'snapshot', `undici-${version}.js`));
    expect(existsSync(files.bundle)).toBe(true);
    expect(existsSync(files.cache)).toBe(true);
    expect(existsSync(undiciBundleFiles(REPO_ROOT, '').cache)).toBe(true);

    const fromSnapshot = await inspect(REPO_ROOT);
    expect(fromSnapshot.stderr).toContain(STARTED);
    expect(fromSnapshot.undici).toContain(FROM_BUNDLE);
    expect(fromSnapshot.digest).toBe(digest);
    // The ordinary start (V8's default flags) has its own cache.
    const ordinary = await inspect(REPO_ROOT, { env: { KIMG_NO_SNAPSHOT: '1' } });
    expect(ordinary.stderr).not.toContain(STARTED);
    expect(ordinary.undici).toContain(FROM_BUNDLE);
    expect(ordinary.digest).toBe(digest);
    const viaNode = await inspect(REPO_ROOT, { viaNode: true });
    expect(viaNode.undici).toContain(FROM_BUNDLE);
    // V8 flags from NODE_OPTIONS: no cache is made for them; V8 rejects the one named by the command line.
    const withOptions = await inspect(REPO_ROOT, { env: { NODE_OPTIONS: '--max-old-space-size=512' } });
    expect(withOptions.undici).toContain(`${FROM_PACKAGE} (V8 rejected the code cache`);
    expect(withOptions.digest).toBe(digest);
  });

  it('a corrupt or foreign cache, no cache, or no bundle: undici from node_modules and the command works', async () => {
    const { pkg, bundle, snapshotCache, plainCache } = await packageCopy();
    expect((await inspect(pkg)).undici).toContain(FROM_BUNDLE);

    // Bytes flipped in V8's payload: a release V8 would abort the process; the check ahead of it refuses it.
    const good = readFileSync(snapshotCache);
    const corrupt = Buffer.from(good);
    for (let at = 100; at < corrupt.length; at += 101) corrupt[at] = (corrupt[at] ?? 0) ^ 0x5a;
    writeFileSync(snapshotCache, corrupt);
    const fromCorrupt = await inspect(pkg);
    expect(fromCorrupt.undici).toContain(`${FROM_PACKAGE} (the code cache ${snapshotCache} does not match`);
    expect(fromCorrupt.digest).toBe(digest);

    // The ordinary start's cache under the snapshot's name: right bundle, other V8 flags, so V8 refuses it.
    cpSync(plainCache, snapshotCache);
    const fromForeign = await inspect(pkg);
    expect(fromForeign.undici).toContain(`${FROM_PACKAGE} (V8 rejected the code cache ${snapshotCache}`);
    expect(fromForeign.digest).toBe(digest);

    rmSync(snapshotCache);
    const noCache = await inspect(pkg);
    expect(noCache.undici).toContain(`${FROM_PACKAGE} (no code cache ${snapshotCache}`);
    expect(noCache.digest).toBe(digest);

    // No bundle but a cache: a registry copy goes through undici from node_modules.
    writeFileSync(snapshotCache, good);
    rmSync(bundle);
    const copy = await run(
      join(pkg, 'bin', 'kimg'),
      ['--debug', 'copy', ref, `docker://${registry.host}/bundle/copied:1`],
      { env: { ...process.env, KIMG_ROOT: root } },
    );
    expect(copy.code).toBe(0);
    expect(copy.stderr).toContain(`${FROM_PACKAGE} (the bundle failed to load: ENOENT`);
    const copied = await kimg(['inspect', `docker://${registry.host}/bundle/copied:1`], { root });
    expect((JSON.parse(copied.stdout) as { digest: string }).digest).toBe(digest);
  });
});
