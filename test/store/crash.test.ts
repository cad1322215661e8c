import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { walkGraph } from '../../src/store/graph';
import { LayoutPaths } from '../../src/store';
import { openLocalStore } from '../../src/transport/local';
import { makeTempDir, removeTempDirs } from '../harness';
import { copyGraph } from './helpers';
import { sourceImage } from './setup';

afterAll(removeTempDirs);

const REGISTER = join(__dirname, '..', 'harness', 'ts-register.js');
/**
 * Each writer is killed after it has committed this many times, then after a few more milliseconds, so the
 * kills land at different points of a write (staging, locking, renaming, index replace) whatever the machine's
 * load — a fixed delay would only measure how fast the writer starts.
 */
const KILL_AFTER_COMMITS = [1, 2, 3, 5];

async function killWriterAfter(root: string, scratch: string, id: number, commits: number): Promise<void> {
  const child = spawn(
    process.execPath,
    ['-r', REGISTER, join(__dirname, 'concurrent-writer.ts'), root, scratch, String(id), '1000'],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, KIMG_TEST_REPORT_COMMITS: '1' } },
  );
  const exited = new Promise((resolve) => child.on('exit', resolve));
  await new Promise<void>((resolve) => {
    let seen = 0;
    child.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString().split('committed').length - 1;
      if (seen >= commits) resolve();
    });
    child.on('exit', () => resolve());
  });
  await new Promise((resolve) => setTimeout(resolve, id * 7));
  child.kill('SIGKILL');
  await exited;
}

describe('SIGKILL during writes', () => {
  it('leaves a valid layout whose entries are complete, and the next writer and prune recover', async () => {
    const root = join(await makeTempDir('kimg-store-'), 'root');
    const scratch = await makeTempDir('kimg-crash-');
    const paths = new LayoutPaths(root);
    // staleMs: take over a killed writer's lock after 2 s instead of 10 s (proper-lockfile's minimum is 2 s).
    const store = openLocalStore(root, { lock: { staleMs: 2000 } });
    for (const [id, commits] of KILL_AFTER_COMMITS.entries()) {
      await killWriterAfter(root, scratch, id, commits);
      const images = await store.list();
      for (const image of images) {
        const blobs = {
          has: (d: string) => store.exists({ ...image.descriptor, digest: d }),
          read: (d: string) => fs.readFile(paths.blob(d)),
        };
        const onMissing = (missing: { digest: string }): never => {
          throw new Error(`${image.name ?? ''} lost blob ${missing.digest}`);
        };
        await walkGraph([image.descriptor], blobs, { onMissing });
      }
    }
    const { fixture, source } = await sourceImage({ seed: 51 });
    await copyGraph(source, fixture.manifestDescriptor, store);
    await store.tag(fixture.manifestDescriptor, 'after-crash');
    await store.commit();
    expect(await store.resolve('after-crash')).toEqual(fixture.manifestDescriptor);
    // The writers got far enough to commit (so kills landed among commits, not only during startup).
    expect((await store.list()).length).toBeGreaterThan(KILL_AFTER_COMMITS.length);
    await store.prune();
    expect(await fs.readdir(paths.ingestDir)).toEqual([]);
  });
});
