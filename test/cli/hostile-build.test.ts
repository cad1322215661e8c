import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { kimgOk, makeTempDir, removeTempDirs, REPO_ROOT, run, treeHash } from '../harness';
import { gzipBomb, file, tarOf } from '../unpack/hostile-tars';
import { writeImageLayout } from '../unpack/hostile-image';
import { writeTree } from './build-helpers';

/**
 * Issue 9, build classes 13 and 14: hostile inputs to `kimg build` — a `.wh..` whiteout in a COPY --from image,
 * an ADD .tar.gz bomb, a COPY --from layer bomb, an ADD URL whose body never ends — and signals mid-build. Each
 * ends with one error line naming the cap and its flag, in bounded time and memory, and leaves the store as it
 * was; a signal removes the build's scratch dir, and what a SIGKILL leaves is removed by `kimg prune`.
 */
let work: string;
let root: string;
let server: Server;
let base: string;
const endless = new Set<ServerResponse>();

beforeAll(async () => {
  work = await makeTempDir();
  root = join(work, 'store');
  // An ADD URL that never ends: 64 KiB chunks as fast as the client reads, no Content-Length.
  server = createServer((req, res) => {
    if (req.url === '/announced') return res.writeHead(200, { 'content-length': String(2 ** 40) }).end();
    if (req.url === '/short') return res.writeHead(200, { 'content-length': '4096' }).end('only this');
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    endless.add(res);
    let open = true;
    res.on('close', () => {
      open = false;
      endless.delete(res);
    });
    const chunk = Buffer.alloc(64 * 1024, 7);
    const pump = () => {
      while (open && res.write(chunk));
      if (open) res.once('drain', pump);
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // The store exists (a first build), so "unchanged" compares a real tree.
  await writeTree(join(work, 'seed'), { 'a.txt': 'a\n', Kubefile: 'FROM scratch\nCOPY a.txt /a.txt\n' });
  await kimgOk(['build', '-t', 'seed:1', join(work, 'seed')], { root });
  // A hostile image in the store: one layer with a 32 MiB file of zeros (a 32 KiB blob), one with `.wh..`.
  const layout = join(work, 'evil-layout');
  await writeImageLayout(layout, 'bomb', [
    await tarOf([{ header: { name: 'zeros', mode: 0o644 }, content: Buffer.alloc(32 << 20) }]),
  ]);
  await kimgOk(['copy', `oci:${layout}:bomb`, 'bomb:1'], { root });
  const whiteout = join(work, 'whiteout-layout');
  await writeImageLayout(whiteout, 'dotdot', [
    await tarOf([file('a/keep')]),
    await tarOf([file('a/.wh...', '')]),
  ]);
  await kimgOk(['copy', `oci:${whiteout}:dotdot`, 'dotdot:1'], { root });
});

afterAll(async () => {
  for (const res of endless) res.destroy();
  await new Promise((resolve) => server.close(resolve));
  await removeTempDirs();
});

/** `kimg build` under /usr/bin/time -v: the result, the seconds it took and its peak RSS in MiB. */
async function measuredBuild(context: string, args: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const started = Date.now();
  const result = await run(
    '/usr/bin/time',
    ['-v', process.execPath, join(REPO_ROOT, 'bin', 'kimg'), 'build', ...args, '-t', 'out:1', context],
    { env: { ...process.env, ...env, KIMG_ROOT: root } },
  );
  const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(result.stderr)?.[1] ?? NaN) / 1024;
  const errors = result.stderr.split('\n').filter((line) => line.startsWith('kimg: '));
  return { ...result, errors, seconds: (Date.now() - started) / 1000, rss };
}

async function scratchLeft(): Promise<string[]> {
  const dir = join(root, '.kimg', 'scratch');
  return existsSync(dir) ? readdir(dir) : [];
}

describe('kimg build: hostile archives and layers', () => {
  it('ADD of a .tar.gz bomb stops at --max-unpack-size: exit 1, the cap named, store unchanged', async () => {
    const context = join(work, 'add-bomb');
    await writeTree(context, { Kubefile: 'FROM scratch\nADD bomb.tar.gz /opt/\n' });
    await gzipBomb(join(context, 'bomb.tar.gz'), 256 << 20);
    const before = await treeHash(root);
    const flag = await measuredBuild(context, ['--max-unpack-size', '1MiB']);
    expect(flag.code).toBe(1);
    expect(flag.errors).toEqual([
      `kimg: error: ${join(context, 'Kubefile')}:2:1: ADD bomb.tar.gz: member "bomb" (268435456 bytes) would take it further, over the unpacked size cap of 1 MiB (1048576 bytes)`,
      'kimg: hint: if the archive is genuine, raise the cap with --max-unpack-size or KIMG_MAX_UNPACK_SIZE',
    ]);
    expect(flag.seconds).toBeLessThan(15);
    expect(flag.rss).toBeLessThan(300);
    const env = await measuredBuild(context, [], { KIMG_MAX_UNPACK_SIZE: '1MiB' });
    expect(env.code).toBe(1);
    expect(env.errors[0]).toContain('over the unpacked size cap of 1 MiB');
    expect(await treeHash(root)).toBe(before);
  });

  it('COPY --from of an image whose layer is a bomb stops at the cap', async () => {
    const context = join(work, 'from-bomb');
    await writeTree(context, { Kubefile: 'FROM scratch\nCOPY --from=bomb:1 /zeros /zeros\n' });
    const before = await treeHash(root);
    const result = await measuredBuild(context, ['--max-unpack-size', '4MiB']);
    expect(result.code).toBe(1);
    expect(result.errors[0]).toMatch(
      /Kubefile:2:1: bomb:1 layer sha256:[0-9a-f]{64}: member "zeros" \(33554432 bytes\) would take it further, over the unpacked size cap of 4 MiB \(4194304 bytes\)$/,
    );
    expect(result.errors[1]).toBe(
      'kimg: hint: if the archive is genuine, raise the cap with --max-unpack-size or KIMG_MAX_UNPACK_SIZE',
    );
    expect(result.seconds).toBeLessThan(15);
    expect(result.rss).toBeLessThan(300);
    expect(await treeHash(root)).toBe(before);
    // Within the default caps the same image is an ordinary one.
    await kimgOk(['build', '-t', 'fine:1', context], { root });
  });

  it('a `.wh...` whiteout in a COPY --from layer is refused; nothing around the stage dir is removed', async () => {
    const context = join(work, 'dotdot');
    await writeTree(context, { Kubefile: 'FROM scratch\nCOPY --from=dotdot:1 / /\n' });
    const before = await treeHash(root);
    const result = await measuredBuild(context);
    expect(result.code).toBe(1);
    expect(result.errors[0]).toMatch(
      /Kubefile:2:1: dotdot:1 layer sha256:[0-9a-f]{64}: member "a\/.wh..." is a whiteout of "..", which names no entry of its directory$/,
    );
    expect(await treeHash(root)).toBe(before);
  });
});

describe('kimg build: ADD of a URL whose body never ends', () => {
  it('stops at --max-download-size within seconds; an announced size over it is refused before the body', async () => {
    const context = join(work, 'endless');
    await writeTree(context, { Kubefile: `FROM scratch\nADD ${base}/endless /big\n` });
    const before = await treeHash(root);
    const result = await measuredBuild(context, ['--max-download-size', '2MiB']);
    expect(result.code).toBe(1);
    expect(result.errors).toEqual([
      `kimg: error: ${join(context, 'Kubefile')}:2:1: ADD ${base}/endless: the body goes past the download size cap of 2 MiB (2097152 bytes)`,
      'kimg: hint: if the file is genuine, raise the cap with --max-download-size or KIMG_MAX_DOWNLOAD_SIZE, or download it into the build context and COPY it',
    ]);
    expect(result.seconds).toBeLessThan(15);
    expect(result.rss).toBeLessThan(300);
    await writeTree(context, { Kubefile: `FROM scratch\nADD ${base}/announced /big\n` });
    const announced = await measuredBuild(context, [], { KIMG_MAX_DOWNLOAD_SIZE: '8GiB' });
    expect(announced.code).toBe(1);
    expect(announced.errors[0]).toContain(
      'the server announces 1099511627776 bytes, over the download size cap of 8 GiB',
    );
    // A body shorter than announced is the server's failure: one line, exit 1 (not an internal error).
    await writeTree(context, { Kubefile: `FROM scratch\nADD ${base}/short /big\n` });
    const short = await measuredBuild(context);
    expect(short.code).toBe(1);
    expect(short.errors[0]).toMatch(/^kimg: error: .*Kubefile:2:1: GET http:\/\/127\.0\.0\.1:\d+\/short: /);
    expect(await treeHash(root)).toBe(before);
  });
});

describe('kimg build: interrupted', () => {
  /** A build downloading the endless URL into its scratch dir; resolves once the download is under way. */
  async function startEndlessBuild() {
    const context = join(work, `signal-${Date.now()}`);
    // A COPY first, so the store transaction has staged a layer when the signal comes.
    await writeTree(context, {
      'a.txt': 'a\n',
      Kubefile: `FROM scratch\nCOPY a.txt /a\nADD ${base}/endless /big\n`,
    });
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'kimg'), 'build', '-t', 'sig:1', context], {
      env: { ...process.env, KIMG_ROOT: root },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    // Wait until the scratch dir holds a download that is growing.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const dirs = await scratchLeft();
      const download = dirs.length > 0 ? await downloadIn(join(root, '.kimg', 'scratch', dirs[0] ?? '')) : 0;
      if (download > 4 << 20) break;
      if (Date.now() > deadline) throw new Error(`the build never started downloading: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const peakMiB =
      Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]) / 1024;
    return { child, exited, stderr: () => stderr, peakMiB };
  }

  async function downloadIn(scratch: string): Promise<number> {
    const { statSync } = await import('node:fs');
    let size = 0;
    for (const name of await readdir(scratch).catch(() => [] as string[])) {
      const path = join(scratch, name, 'download');
      if (existsSync(path)) size += statSync(path).size;
    }
    return size;
  }

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    '%s: exit %d, one line, the scratch dir is gone (prune takes the staged layer)',
    async (signal, status) => {
      const before = await treeHash(root);
      const build = await startEndlessBuild();
      expect(build.peakMiB).toBeLessThan(300);
      build.child.kill(signal);
      const { code } = await build.exited;
      expect(code).toBe(status);
      expect(build.stderr()).toContain(`kimg: interrupted by ${signal}; temporary files removed`);
      expect(await scratchLeft()).toEqual([]);
      expect(existsSync(join(root, '.kimg', 'build-tmp'))).toBe(false);
      // The store transaction's staging dir (.kimg/ingest/<txid>, store/ingest.ts) may remain: prune removes it.
      await kimgOk(['prune'], { root });
      expect(await treeHash(root)).toBe(before);
    },
  );

  it('SIGKILL leaves the scratch dir, and `kimg prune` removes it', async () => {
    const before = await treeHash(root);
    const build = await startEndlessBuild();
    build.child.kill('SIGKILL');
    await build.exited;
    expect((await scratchLeft()).length).toBe(1);
    const pruned = await kimgOk(['prune'], { root });
    expect(pruned.stdout + pruned.stderr).toContain('removed 1 leftover scratch dir(s)');
    expect(await scratchLeft()).toEqual([]);
    expect(await treeHash(root)).toBe(before);
  });
});
