import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { kimg, makeTempDir, removeTempDirs, REPO_ROOT, treeHash } from '../harness';
import { storeImageFiles, writeTree } from './build-helpers';

/**
 * Hostile build inputs through the real CLI (issue 9, classes 15 and 16): a Kubefile far over the size limit is
 * refused from its size alone, with the diagnostic, in bounded memory and time; a line over the line limit is a
 * diagnostic that does not echo the line; a FIFO is not waited on; a .dockerignore line of 20 stars costs
 * nothing. The store is unchanged after every refusal.
 */
let work: string;
let root: string;
let preload: string;

beforeAll(async () => {
  work = await makeTempDir();
  root = join(work, 'store');
  await mkdir(root);
  // Peak RSS of the child in KiB, written when it exits (harness/peak-rss.js: the process's own peak, not
  // getrusage's maxRSS, which a child inherits from the jest worker that spawned it).
  preload = join(work, 'peak-rss.js');
  await writeFile(
    preload,
    `const { peakRss } = require(${JSON.stringify(join(REPO_ROOT, 'test', 'harness', 'peak-rss.js'))});\n` +
      "process.on('exit', () => require('fs').writeFileSync(process.env.PEAK_RSS_FILE, String(Math.round(peakRss() / 1024))));\n",
  );
});
afterAll(removeTempDirs);

interface Measured {
  code: number;
  stderr: string;
  seconds: number;
  peakMiB: number;
}

async function build(context: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Measured> {
  const rssFile = join(work, `rss-${Date.now()}-${Math.random()}`);
  const started = performance.now();
  const result = await kimg(['build', '-t', 'hostile:1', ...args, context], {
    root,
    env: { ...env, NODE_OPTIONS: `--require ${preload}`, PEAK_RSS_FILE: rssFile },
  });
  const seconds = (performance.now() - started) / 1000;
  const peakMiB = Number(await readFile(rssFile, 'utf8')) / 1024;
  return { code: result.code, stderr: result.stderr, seconds, peakMiB };
}

/** A refused build: not 0, not the "bug" exit (70), one error summary, no stack, the store untouched. */
async function refused(context: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Measured> {
  const before = await treeHash(root);
  const result = await build(context, args, env);
  // A refused input exits 1; 2 is only for a wrong command line (issue 9, class 17).
  expect(result.code).toBe(1);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stderr).toMatch(/kimg: error: .*error\(s\) in the Kubefile/);
  expect(await treeHash(root)).toBe(before);
  return result;
}

async function writeLargeKubefile(dir: string, bytes: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const out = createWriteStream(join(dir, 'Kubefile'));
  out.write('FROM scratch\nLABEL big="');
  const chunk = Buffer.alloc(1024 * 1024, 'x');
  for (let left = bytes; left > 0; left -= chunk.length) {
    if (!out.write(left >= chunk.length ? chunk : chunk.subarray(0, left))) {
      await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
  }
  out.end('"\n');
  await finished(out);
}

describe('kimg build refuses hostile Kubefiles with a diagnostic, in bounded time and memory', () => {
  it('refuses a 100 MB one-line Kubefile from its size (8 MiB limit) without reading it', async () => {
    const context = join(work, 'huge');
    await writeLargeKubefile(context, 100 * 1024 * 1024);
    const result = await refused(context);
    const size = 100 * 1024 * 1024 + 'FROM scratch\nLABEL big="'.length + 2;
    expect(result.stderr).toContain(
      `Kubefile:1:1: error: the Kubefile is ${size} bytes, over the 8 MiB Kubefile size limit; it is not read`,
    );
    expect(result.stderr).toContain('= hint: set KIMG_MAX_KUBEFILE_SIZE to raise the limit (default 8 MiB)');
    expect(result.peakMiB).toBeLessThan(300);
    expect(result.seconds).toBeLessThan(10);
  });

  it('reports a 4 MiB line (under the size limit) as too long, without echoing it', async () => {
    const context = join(work, 'long-line');
    await writeLargeKubefile(context, 4 * 1024 * 1024);
    const result = await refused(context);
    expect(result.stderr).toMatch(
      /Kubefile:2:1048577: error: the instruction is longer than 1 MiB \(the line length limit\); it is skipped/,
    );
    expect(result.stderr).toContain('= hint: set KIMG_MAX_KUBEFILE_LINE to raise the limit (default 1 MiB)');
    expect(result.stderr.length).toBeLessThan(4096);
    expect(result.peakMiB).toBeLessThan(300);
    expect(result.seconds).toBeLessThan(10);
  });

  it('takes the limits from the environment and names the value in force', async () => {
    const context = join(work, 'env-limit');
    await writeTree(context, { Kubefile: `FROM scratch\n${'LABEL a=b\n'.repeat(300)}` });
    const result = await refused(context, [], { KIMG_MAX_KUBEFILE_SIZE: '1KiB' });
    expect(result.stderr).toContain('over the 1 KiB Kubefile size limit');
    const bad = await build(context, [], { KIMG_MAX_KUBEFILE_SIZE: 'lots' });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('KIMG_MAX_KUBEFILE_SIZE=lots is not a positive number');
  });

  it('does not wait on a FIFO named as the Kubefile', async () => {
    const context = join(work, 'fifo');
    await mkdir(context);
    execFileSync('mkfifo', [join(context, 'Kubefile.fifo')]);
    const before = await treeHash(root);
    const result = await build(context, ['-f', join(context, 'Kubefile.fifo')]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('Kubefile.fifo: not a regular file');
    expect(result.seconds).toBeLessThan(10);
    expect(await treeHash(root)).toBe(before);
  });
});

describe('kimg build with a hostile .dockerignore', () => {
  it('applies a line of 20 stars to long names in milliseconds (was exponential: 8 stars, 5 s)', async () => {
    const context = join(work, 'stars');
    const long = 'a'.repeat(120);
    await writeTree(context, {
      Kubefile: 'FROM scratch\nCOPY . /ctx/\n',
      '.dockerignore': `${'*a'.repeat(20)}*b\n`,
      [`${long}`]: 'kept\n',
      [`${long}b`]: 'excluded\n',
      [`dir/${long}/x`]: 'kept\n',
    });
    const result = await build(context, ['--compression', 'none']);
    expect(result.code).toBe(0);
    expect(result.seconds).toBeLessThan(20);
    const { members } = await storeImageFiles(root, 'docker.io/library/hostile:1');
    const names = members.map((m) => m.name).filter((name) => name.includes(long));
    expect(names.sort()).toEqual([`ctx/${long}`, `ctx/dir/${long}/`, `ctx/dir/${long}/x`]);
  });
});
