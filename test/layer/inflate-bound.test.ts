import { afterAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { readdir, readFile, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pendingCleanups } from '../../src/interrupt';
import { decompressToTemp, MIN_INFLATE_ALLOWANCE } from '../../src/layer';
import { makeTempDir, removeTempDirs } from '../harness/temp';

afterAll(removeTempDirs);

const MiB = 1024 * 1024;

/** A gzip file of `size` zero bytes (ratio ~1000). */
async function zeros(dir: string, size: number): Promise<string> {
  const file = join(dir, 'zeros.gz');
  await writeFile(file, gzipSync(Buffer.alloc(size)));
  return file;
}

describe('decompressToTemp bounds', () => {
  it('inflates a genuine file under the bound, and remove() takes the temp dir and its interrupt cleanup', async () => {
    const dir = await makeTempDir();
    const tmp = await makeTempDir();
    const data = Buffer.from('hello, archive\n'.repeat(1000));
    const file = join(dir, 'a.gz');
    await writeFile(file, gzipSync(data));
    const before = pendingCleanups();
    const inflated = await decompressToTemp(file, { tmpDir: tmp });
    expect(await readFile(inflated.path)).toEqual(data);
    expect(pendingCleanups()).toBe(before + 1);
    await inflated.remove();
    expect(await readdir(tmp)).toEqual([]);
    expect(pendingCleanups()).toBe(before);
  });

  it('stops past ratio × compressed size (64 MiB at least), naming the bound and its flag; nothing left', async () => {
    const dir = await makeTempDir();
    const tmp = await makeTempDir();
    const file = await zeros(dir, MIN_INFLATE_ALLOWANCE + 8 * MiB);
    const before = pendingCleanups();
    const error = await decompressToTemp(file, { tmpDir: tmp, maxInflateRatio: 2 }).catch(
      (err: unknown) => err,
    );
    expect(error).toMatchObject({
      code: 'SIZE_LIMIT',
      message: expect.stringContaining(
        `gzip data inflates past ${MIN_INFLATE_ALLOWANCE} bytes, over the max inflate ratio (2 ×`,
      ),
      hint: expect.stringContaining('--max-inflate-ratio N or KIMG_MAX_INFLATE_RATIO=N'),
    });
    expect(await readdir(tmp)).toEqual([]);
    expect(pendingCleanups()).toBe(before);
  });

  it('the ratio bound grows with the file: 72 MiB of zeros (ratio ~1030) pass at ratio 2000', async () => {
    const dir = await makeTempDir();
    const file = await zeros(dir, MIN_INFLATE_ALLOWANCE + 8 * MiB);
    const inflated = await decompressToTemp(file, { tmpDir: await makeTempDir(), maxInflateRatio: 2000 });
    await inflated.remove();
  });

  it('stops at the free space of the scratch file system less the reserve, naming the space and --root', async () => {
    const dir = await makeTempDir();
    const tmp = await makeTempDir();
    const file = await zeros(dir, 4 * MiB);
    const { bavail, bsize } = await statfs(tmp);
    // Keep all but 1 MiB free: the bound is then 1 MiB, under the ratio's.
    const error = await decompressToTemp(file, { tmpDir: tmp, keepFreeBytes: bavail * bsize - MiB }).catch(
      (err: unknown) => err,
    );
    expect(error).toMatchObject({
      code: 'SIZE_LIMIT',
      message: expect.stringMatching(
        /gzip data inflates past \d+ bytes, the free space in .* less a reserve of \d+ bytes/,
      ),
      hint: expect.stringContaining('--root or KIMG_ROOT'),
    });
    expect(await readdir(tmp)).toEqual([]);
  });

  it('corrupt gzip data: ARCHIVE_INVALID, temp removed', async () => {
    const dir = await makeTempDir();
    const tmp = await makeTempDir();
    const good = gzipSync(Buffer.alloc(MiB, 7));
    const file = join(dir, 'bad.gz');
    await writeFile(file, Buffer.concat([good.subarray(0, 100), Buffer.alloc(200, 0xff)]));
    await expect(decompressToTemp(file, { tmpDir: tmp })).rejects.toMatchObject({ code: 'ARCHIVE_INVALID' });
    expect(await readdir(tmp)).toEqual([]);
  });

  it('goes to the scratch dir it is given and releases it', async () => {
    const dir = await makeTempDir();
    const scratch = join(await makeTempDir(), 'scratch');
    const file = join(dir, 'a.gz');
    await writeFile(file, gzipSync(Buffer.from('x')));
    let released = 0;
    const inflated = await decompressToTemp(file, {
      openScratch: async () => {
        await (await import('node:fs/promises')).mkdir(scratch);
        return { dir: scratch, release: async () => void (released += 1) };
      },
    });
    expect(inflated.path).toBe(join(scratch, 'inflated.tar'));
    expect(existsSync(inflated.path)).toBe(true);
    await inflated.remove();
    expect(released).toBe(1);
  });

  it('refuses a ratio below 1', async () => {
    const dir = await makeTempDir();
    const file = await zeros(dir, 1024);
    await expect(decompressToTemp(file, { tmpDir: dir, maxInflateRatio: 0 })).rejects.toThrow(
      /expected a number ≥ 1/,
    );
  });
});
