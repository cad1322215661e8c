import { afterAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pendingCleanups } from '../../src/interrupt';
import { LayoutPaths, Scratch } from '../../src/store';
import { openArchiveDestination } from '../../src/transport/archive';
import { makeTempDir, removeTempDirs } from '../harness/temp';

afterAll(removeTempDirs);

/**
 * `kimg save`'s temp file (FILE.kimg-tmp-<pid>) is recorded by a store scratch dir before it exists, and both
 * go when the destination commits or aborts; the interrupt cleanups it registered are gone with them.
 */
describe('archive destination temp file', () => {
  it.each(['oci-archive', 'docker-archive'] as const)(
    '%s: adopted by the scratch dir while open; abort removes the temp file, the scratch dir and the cleanups',
    async (format) => {
      const dir = await makeTempDir();
      const paths = new LayoutPaths(join(dir, 'store'));
      const file = join(dir, 'out.tar');
      const before = pendingCleanups();
      const destination = await openArchiveDestination(file, format, {
        openScratch: (purpose) => Scratch.open(paths, purpose),
      });
      const temp = `${file}.kimg-tmp-${process.pid}`;
      expect(existsSync(temp)).toBe(true);
      const [scratch] = await readdir(paths.scratchDir);
      expect(await readFile(join(paths.scratchDir, scratch ?? '', 'adopted'), 'utf8')).toBe(`${temp}\n`);
      // The scratch dir and the temp file, each removed if the process is interrupted.
      expect(pendingCleanups()).toBe(before + 2);
      await destination.abort();
      expect(existsSync(temp)).toBe(false);
      expect(await readdir(paths.scratchDir)).toEqual([]);
      expect(pendingCleanups()).toBe(before);
    },
  );

  it('commit renames the temp file into place and releases the scratch dir', async () => {
    const dir = await makeTempDir();
    const paths = new LayoutPaths(join(dir, 'store'));
    const file = join(dir, 'out.tar');
    const before = pendingCleanups();
    const destination = await openArchiveDestination(file, 'oci-archive', {
      openScratch: (purpose) => Scratch.open(paths, purpose),
    });
    await destination.commit();
    expect(await readdir(dir)).toEqual(['out.tar', 'store']);
    expect(await readdir(paths.scratchDir)).toEqual([]);
    expect(pendingCleanups()).toBe(before);
  });

  it('without a scratch dir, the temp file is still removed on interrupt (one cleanup while open)', async () => {
    const dir = await makeTempDir();
    const before = pendingCleanups();
    const destination = await openArchiveDestination(join(dir, 'out.tar'), 'oci-archive');
    expect(pendingCleanups()).toBe(before + 1);
    await destination.abort();
    expect(pendingCleanups()).toBe(before);
    expect(await readdir(dir)).toEqual([]);
  });

  it('a split bundle: parts adopted while open and removed by abort; commit renames them and writes the list last', async () => {
    const dir = await makeTempDir();
    const paths = new LayoutPaths(join(dir, 'store'));
    const file = join(dir, 'site.tar.zst');
    const before = pendingCleanups();
    const open = () =>
      openArchiveDestination(file, 'oci-archive', {
        openScratch: (purpose) => Scratch.open(paths, purpose),
        bundle: { compression: 'zstd', splitBytes: 1024 * 1024 },
      });
    const aborted = await open();
    const temp = `${file}.kimg-tmp-${process.pid}.1`;
    expect(existsSync(temp)).toBe(true);
    const [scratch] = await readdir(paths.scratchDir);
    expect(await readFile(join(paths.scratchDir, scratch ?? '', 'adopted'), 'utf8')).toBe(`${temp}\n`);
    await aborted.abort();
    expect((await readdir(dir)).sort()).toEqual(['store']);
    expect(pendingCleanups()).toBe(before);

    const committed = await open();
    await committed.commit();
    expect((await readdir(dir)).sort()).toEqual(['site.tar.zst.part000', 'site.tar.zst.part001', 'store']);
    expect(committed.written?.files.map((f) => f.file)).toEqual([`${file}.part000`, `${file}.part001`]);
    const header = JSON.parse(await readFile(`${file}.part000`, 'utf8')) as {
      count: number;
      compression: string;
    };
    expect(header).toMatchObject({ count: 1, compression: 'zstd' });
    expect(await readdir(paths.scratchDir)).toEqual([]);
    expect(pendingCleanups()).toBe(before);
  });
});
