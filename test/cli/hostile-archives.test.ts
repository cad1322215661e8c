import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { kimgOk, makeTempDir, removeTempDirs, REPO_ROOT, run, runOk, treeHash } from '../harness';
import { dockerArchive, writeGzipBomb, writeLargeLayerImage } from './hostile-archive-files';

/**
 * Issue 9, class 9: a gzipped archive that inflates without end, and signals while kimg inflates or writes an
 * archive. The inflated copy lives in the store's scratch space (`.kimg/scratch/<owner>/inflated.tar`), never
 * in TMPDIR; it is bounded; SIGINT/SIGTERM remove it; what SIGKILL leaves is exactly a scratch dir (and, for
 * `save`, the `FILE.kimg-tmp-<pid>` it recorded), which the next `kimg prune` removes.
 */
const BIN = join(REPO_ROOT, 'bin', 'kimg');
const GiB = 1024 * 1024 * 1024;

let work: string;
let root: string;
/** The TMPDIR every child gets: it must stay empty. */
let tmp: string;
let bomb: string;
let bombBytes: number;

beforeAll(async () => {
  work = await makeTempDir();
  root = join(work, 'store');
  tmp = join(work, 'tmp');
  await mkdir(tmp);
  bomb = join(work, 'bomb.tar.gz');
  bombBytes = await writeGzipBomb(bomb, 2 * GiB);
  // A store with content, loaded from a gzipped archive, so "unchanged" means something. Its .kimg/scratch
  // exists, as after any load that needed an inflated copy (a gzipped archive of blobs is streamed without one).
  const good = join(work, 'good.tar.gz');
  await writeFile(good, gzipSync(dockerArchive({ repoTags: ['example.com/good:1'] })));
  await kimgOk(['load', '-i', good], { root });
  await mkdir(join(root, '.kimg', 'scratch'), { recursive: true });
  // An image large enough that `save` is still writing when the test signals it.
  await writeLargeLayerImage(join(work, 'big'), 'example.com/big:1', 192 * 1024 * 1024);
  await runOk('tar', ['-C', join(work, 'big'), '-cf', join(work, 'big.tar'), '.']);
  await kimgOk(['load', '-i', join(work, 'big.tar')], { root });
}, 120_000);

afterAll(removeTempDirs);

const scratchDir = () => join(root, '.kimg', 'scratch');

/** Runs kimg under /usr/bin/time: the result, its wall time and the child's peak RSS. */
async function kimgMeasured(args: string[], env: NodeJS.ProcessEnv = {}) {
  const rssFile = join(work, 'rss');
  const started = Date.now();
  const result = await run('/usr/bin/time', ['-f', '%M', '-o', rssFile, process.execPath, BIN, ...args], {
    env: { ...process.env, KIMG_ROOT: root, TMPDIR: tmp, ...env },
  });
  const peakRssBytes = Number((await readFile(rssFile, 'utf8')).trim().split('\n').pop()) * 1024;
  return { ...result, seconds: (Date.now() - started) / 1000, peakRssBytes };
}

/** Starts kimg and resolves once `ready()` finds what it waits for (polled every 10 ms). */
async function startKimg(args: string[], ready: () => Promise<boolean>, env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, KIMG_ROOT: root, TMPDIR: tmp, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let finished = false;
  void exited.then(() => (finished = true));
  for (const deadline = Date.now() + 20_000; !(await ready());) {
    if (finished) throw new Error(`kimg ${args.join(' ')} ended before the test could signal it: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`kimg ${args.join(' ')}: not ready after 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { child, exited, stderr: () => stderr };
}

/** The scratch dirs in the store and what each holds. */
async function scratchContents(): Promise<Record<string, string[]>> {
  const result: Record<string, string[]> = {};
  for (const name of await readdir(scratchDir()))
    result[name] = (await readdir(join(scratchDir(), name))).sort();
  return result;
}

/** True once some scratch dir holds an inflated copy that has started to grow. */
async function inflating(): Promise<boolean> {
  for (const [name, files] of Object.entries(await scratchContents())) {
    if (files.includes('inflated.tar') && (await stat(join(scratchDir(), name, 'inflated.tar'))).size > 0)
      return true;
  }
  return false;
}

async function expectPruneRemovesScratch(count: number): Promise<void> {
  const pruned = await kimgOk(['prune'], { root });
  expect(pruned.stdout).toContain(`removed ${count} leftover scratch dir(s)`);
  expect(await readdir(scratchDir())).toEqual([]);
}

describe('a gzip bomb stops at the inflate bound', () => {
  it.each([
    [
      'load, bound from KIMG_MAX_INFLATE_RATIO',
      (file: string) => ['load', '-i', file],
      { KIMG_MAX_INFLATE_RATIO: '2' },
    ],
    [
      'copy, bound from --max-inflate-ratio',
      (file: string) => [
        'copy',
        '--max-inflate-ratio',
        '2',
        `docker-archive:${file}`,
        `oci:${join(work, 'out')}:x`,
      ],
      {},
    ],
  ])(
    '%s: one error line naming the bound and the flag, exit 1, bounded time and memory, nothing left',
    async (_name, args, env) => {
      const before = await treeHash(root);
      const result = await kimgMeasured(args(bomb), env);
      expect(result.code).toBe(1);
      // 2 × ~2 MB is under the 64 MiB every archive is allowed: the bound is 64 MiB.
      expect(result.stderr).toBe(
        `kimg: error: ${bomb}: gzip data inflates past ${64 * 1024 * 1024} bytes, over the max inflate ratio ` +
          `(2 × its ${bombBytes} compressed bytes, ${64 * 1024 * 1024} at least): a decompression bomb?\n` +
          'kimg: hint: if the archive is genuine, raise the bound with --max-inflate-ratio N or ' +
          'KIMG_MAX_INFLATE_RATIO=N (default 200)\n',
      );
      expect(result.seconds).toBeLessThan(15);
      expect(result.peakRssBytes).toBeLessThan(300 * 1024 * 1024);
      expect(await treeHash(root)).toBe(before);
      expect(await readdir(tmp)).toEqual([]);
      expect(await readdir(scratchDir())).toEqual([]);
      expect(existsSync(join(work, 'out'))).toBe(false);
    },
  );

  it('refuses a bound that is not a number ≥ 1 as a usage error', async () => {
    const result = await kimgMeasured(['load', '-i', bomb], { KIMG_MAX_INFLATE_RATIO: 'lots' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('kimg: error: KIMG_MAX_INFLATE_RATIO: expected a number ≥ 1, got lots');
  });
});

describe('signals while inflating', () => {
  // No bound in the way: the 2 GiB inflation is still running when the signal comes.
  const unbounded = { KIMG_MAX_INFLATE_RATIO: '100000' };

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s removes the inflated copy and exits %i', async (signal, status) => {
    const before = await treeHash(root);
    const kimg = await startKimg(['load', '-i', bomb], inflating, unbounded);
    kimg.child.kill(signal);
    const { code } = await kimg.exited;
    expect(code).toBe(status);
    expect(kimg.stderr()).toBe(`kimg: interrupted by ${signal}; temporary files removed\n`);
    expect(await readdir(scratchDir())).toEqual([]);
    expect(await readdir(tmp)).toEqual([]);
    expect(await treeHash(root)).toBe(before);
  });

  it('SIGKILL leaves exactly one scratch dir with the inflated copy; prune removes it', async () => {
    const before = await treeHash(root);
    const kimg = await startKimg(['load', '-i', bomb], inflating, unbounded);
    kimg.child.kill('SIGKILL');
    expect((await kimg.exited).signal).toBe('SIGKILL');
    const left = await scratchContents();
    expect(Object.values(left)).toEqual([['inflated.tar', 'owner.json']]);
    expect(Object.keys(left)[0]).toMatch(new RegExp(`^${kimg.child.pid}-`));
    expect(await readdir(tmp)).toEqual([]);
    await expectPruneRemovesScratch(1);
    expect(await treeHash(root)).toBe(before);
  });
});

describe('signals while saving', () => {
  const out = () => join(work, 'saved', 'big.tar');

  /** True once save has created its temp file beside the output. */
  const writing = async () =>
    (await readdir(join(work, 'saved'))).some((name) => name.includes('.kimg-tmp-'));

  beforeAll(() => mkdir(join(work, 'saved')));

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s removes FILE.kimg-tmp-* and the scratch record, exit %i', async (signal, status) => {
    const before = await treeHash(root);
    const kimg = await startKimg(['save', '-o', out(), 'example.com/big:1'], writing);
    kimg.child.kill(signal);
    expect((await kimg.exited).code).toBe(status);
    expect(await readdir(join(work, 'saved'))).toEqual([]);
    expect(await readdir(scratchDir())).toEqual([]);
    expect(await treeHash(root)).toBe(before);
  });

  it('SIGKILL leaves FILE.kimg-tmp-<pid> and the scratch dir that recorded it; prune removes both', async () => {
    const before = await treeHash(root);
    const kimg = await startKimg(['save', '-o', out(), 'example.com/big:1'], writing);
    kimg.child.kill('SIGKILL');
    expect((await kimg.exited).signal).toBe('SIGKILL');
    const temp = `${out()}.kimg-tmp-${kimg.child.pid}`;
    expect(await readdir(join(work, 'saved'))).toEqual([`big.tar.kimg-tmp-${kimg.child.pid}`]);
    const left = await scratchContents();
    expect(Object.values(left)).toEqual([['adopted', 'owner.json']]);
    const [dir] = Object.keys(left);
    expect(await readFile(join(scratchDir(), dir ?? '', 'adopted'), 'utf8')).toBe(`${temp}\n`);
    await expectPruneRemovesScratch(1);
    expect(await readdir(join(work, 'saved'))).toEqual([]);
    expect(await treeHash(root)).toBe(before);
  });

  it('a completed save leaves no scratch dir and no temp file', async () => {
    await kimgOk(['save', '-o', out(), 'example.com/big:1'], { root });
    expect(await readdir(join(work, 'saved'))).toEqual(['big.tar']);
    expect(await readdir(scratchDir())).toEqual([]);
  });
});
