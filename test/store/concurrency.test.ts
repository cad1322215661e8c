import { afterAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { openLocalStore } from '../../src/transport/local';
import { makeTempDir, removeTempDirs, run } from '../harness';
import { listFilesRecursive } from './helpers';

afterAll(removeTempDirs);

const WRITERS = 8;
const COMMITS_PER_WRITER = 3;
const REGISTER = join(__dirname, '..', 'harness', 'ts-register.js');

/** Separate processes, because the point is the inter-process lock (worker_threads would share one pid). */
describe('concurrent writers', () => {
  it(`${WRITERS} processes committing at once lose no index entry`, async () => {
    const root = join(await makeTempDir('kimg-store-'), 'root');
    const scratch = await makeTempDir('kimg-writers-');
    const results = await Promise.all(
      Array.from({ length: WRITERS }, (_, id) =>
        run(process.execPath, [
          '-r',
          REGISTER,
          join(__dirname, 'concurrent-writer.ts'),
          root,
          scratch,
          String(id),
          String(COMMITS_PER_WRITER),
        ]),
      ),
    );
    const expected: Record<string, string> = {};
    for (const result of results) {
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      Object.assign(expected, JSON.parse(result.stdout) as Record<string, string>);
    }
    expect(Object.keys(expected)).toHaveLength(WRITERS * COMMITS_PER_WRITER);

    const store = openLocalStore(root);
    const images = await store.list();
    const byName = new Map(images.map((image) => [image.name, image.descriptor.digest]));
    for (const [name, digest] of Object.entries(expected)) expect(byName.get(name)).toBe(digest);
    expect(images.filter((image) => image.name === 'docker.io/library/shared:latest')).toHaveLength(1);
    expect(images).toHaveLength(WRITERS * COMMITS_PER_WRITER + 1);
    // Every transaction cleaned up after itself, and nothing is garbage.
    expect(await listFilesRecursive(join(root, '.kimg'))).toEqual([]);
    expect((await store.prune()).removedBlobs).toEqual([]);
    // The result is a layout skopeo reads.
    const inspect = await run('skopeo', ['inspect', `oci:${root}:docker.io/library/shared:latest`]);
    expect(inspect.code).toBe(0);
  });
});
