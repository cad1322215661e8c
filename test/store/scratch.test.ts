import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { pendingCleanups } from '../../src/interrupt';
import { LayoutPaths, Scratch } from '../../src/store';
import { openLocalStore } from '../../src/transport/local';
import { makeTempDir, removeTempDirs } from '../harness/temp';

afterAll(removeTempDirs);

async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  await body(await makeTempDir('kimg-scratch-'));
}

const REGISTER = join(__dirname, '..', 'harness', 'ts-register.js');
const WRITER = join(__dirname, 'scratch-writer.ts');

/** Starts scratch-writer, waits for the scratch dir it prints, and returns it with the child. */
async function startWriter(root: string, outside: string, mode: 'handlers' | 'none' | 'ingest') {
  const child = spawn(process.execPath, ['-r', REGISTER, WRITER, root, outside, mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const dir = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('exit', (code) => reject(new Error(`writer exited ${code}: ${stderr}`)));
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, dir, exited, stderr: () => stderr };
}

describe('store scratch dirs', () => {
  it('release removes the dir and unregisters its interrupt cleanup', async () => {
    await withTempDir(async (root) => {
      const before = pendingCleanups();
      const scratch = await Scratch.open(new LayoutPaths(root), 'test');
      expect(existsSync(scratch.dir)).toBe(true);
      expect(pendingCleanups()).toBe(before + 1);
      await scratch.release();
      await scratch.release();
      expect(existsSync(scratch.dir)).toBe(false);
      expect(pendingCleanups()).toBe(before);
    });
  });

  it('refuses to adopt a file whose name does not mark it as a kimg temp file', async () => {
    await withTempDir(async (root) => {
      const scratch = await Scratch.open(new LayoutPaths(root), 'test');
      await expect(scratch.adopt(join(root, 'out.tar'))).rejects.toThrow(/\.kimg-tmp-/);
      await scratch.release();
    });
  });

  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s removes the scratch dir and the adopted temp file, exit 128+n',
    async (signal) => {
      await withTempDir(async (root) => {
        const outside = join(root, 'out', 'site.tar.kimg-tmp-1');
        await fs.mkdir(join(root, 'out'));
        const writer = await startWriter(join(root, 'store'), outside, 'handlers');
        expect(existsSync(outside)).toBe(true);
        writer.child.kill(signal);
        const { code } = await writer.exited;
        expect(code).toBe(signal === 'SIGINT' ? 130 : 143);
        expect(writer.stderr()).toContain(`interrupted by ${signal}`);
        expect(existsSync(writer.dir)).toBe(false);
        expect(existsSync(outside)).toBe(false);
      });
    },
  );

  it('what SIGKILL leaves (scratch dir and adopted file) is removed by prune; a live one is kept', async () => {
    await withTempDir(async (root) => {
      const store = join(root, 'store');
      const dead = join(root, 'dead.tar.kimg-tmp-1');
      const alive = join(root, 'alive.tar.kimg-tmp-2');
      const killed = await startWriter(store, dead, 'none');
      killed.child.kill('SIGKILL');
      await killed.exited;
      const live = await startWriter(store, alive, 'none');
      try {
        expect(existsSync(killed.dir)).toBe(true);
        const layout = openLocalStore(store);
        const result = await layout.prune();
        await layout.close();
        expect(result.removedScratch).toBe(1);
        expect(existsSync(killed.dir)).toBe(false);
        expect(existsSync(dead)).toBe(false);
        expect(existsSync(live.dir)).toBe(true);
        expect(existsSync(alive)).toBe(true);
      } finally {
        live.child.kill('SIGKILL');
        await live.exited;
      }
    });
  });

  it('SIGINT during a transaction removes its ingest dir', async () => {
    await withTempDir(async (root) => {
      const writer = await startWriter(join(root, 'store'), join(root, 'unused.kimg-tmp-1'), 'ingest');
      expect(existsSync(writer.dir)).toBe(true);
      writer.child.kill('SIGINT');
      expect((await writer.exited).code).toBe(130);
      expect(existsSync(writer.dir)).toBe(false);
    });
  });

  it("prune removes a dead writer's .kimg/build-tmp dir left by older builds, and keeps a live one", async () => {
    await withTempDir(async (root) => {
      const store = join(root, 'store');
      const dead = join(store, '.kimg', 'build-tmp', '999999999-abcdef');
      const live = join(store, '.kimg', 'build-tmp', `${process.pid}-abcdef`);
      await fs.mkdir(dead, { recursive: true });
      await fs.mkdir(live, { recursive: true });
      const layout = openLocalStore(store);
      await layout.prune();
      await layout.close();
      expect(existsSync(dead)).toBe(false);
      expect(existsSync(live)).toBe(true);
    });
  });
});
