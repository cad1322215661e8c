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
/** Spread over a writer's life: startup, first commits, steady state (each commit takes a few ms). */
const KILL_AFTER_MS = [900, 1300, 1700, 2300];

async function killWriterAfter(root: string, scratch: string, id: number, ms: number): Promise<void> {
  const child = spawn(
    process.execPath,
    ['-r', REGISTER, join(__dirname, 'concurrent-writer.ts'), root, scratch, String(id), '1000'],
    {
      stdio: 'ignore',
    },
  );
  await new Promise((resolve) => setTimeout(resolve, ms));
  child.kill('SIGKILL');
  await new Promise((resolve) => child.on('exit', resolve));
}

describe('SIGKILL during writes', () => {
  it('leaves a valid layout whose entries are complete, and the next writer and prune recover', async () => {
    const root = join(await makeTempDir('kimg-store-'), 'root');
    const scratch = await makeTempDir('kimg-crash-');
    const paths = new LayoutPaths(root);
    // staleMs: take over a killed writer's lock after 2 s instead of 10 s (proper-lockfile's minimum is 2 s).
    const store = openLocalStore(root, { lock: { staleMs: 2000 } });
    for (const [id, ms] of KILL_AFTER_MS.entries()) {
      await killWriterAfter(root, scratch, id, ms);
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
    expect((await store.list()).length).toBeGreaterThan(KILL_AFTER_MS.length);
    await store.prune();
    expect(await fs.readdir(paths.ingestDir)).toEqual([]);
  });
});
