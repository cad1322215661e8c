import { afterAll, describe, expect, it } from '@jest/globals';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { extractTar } from '../../../src/build/execute/extract-tar';
import { makeTempDir, removeTempDirs } from '../../harness';
import { tarFrom } from '../run/helpers';

afterAll(removeTempDirs);

const file = (name: string, content = name) => ({
  header: { name, mode: 0o644 },
  content: Buffer.from(content),
});

describe('extractTar (COPY --from stages, ADD archives)', () => {
  it('stacks layers: later members replace earlier ones, whiteouts and opaque dirs delete them', async () => {
    const dir = await makeTempDir();
    const lower = await tarFrom([file('a/keep'), file('a/gone'), file('b/old'), file('c')]);
    const upper = await tarFrom([
      file('a/.wh.gone'),
      file('b/.wh..wh..opq'),
      file('b/new'),
      { header: { name: 'c', type: 'symlink', linkname: 'a/keep' } },
    ]);
    await extractTar(Readable.from([lower]), dir, { whiteouts: true, what: 'lower' });
    await extractTar(Readable.from([gzipSync(upper)]), dir, { whiteouts: true, what: 'upper' });
    expect(await readdir(join(dir, 'a'))).toEqual(['keep']);
    expect(await readdir(join(dir, 'b'))).toEqual(['new']);
    expect(await readlink(join(dir, 'c'))).toBe('a/keep');
    expect(await readFile(join(dir, 'a', 'keep'), 'utf8')).toBe('a/keep');
  });

  it('refuses members with .. and members written through a symlink (CVE-style escapes)', async () => {
    const dir = await makeTempDir();
    const dotdot = await tarFrom([file('../evil')]);
    await expect(
      extractTar(Readable.from([dotdot]), dir, { whiteouts: false, what: 'x.tar' }),
    ).rejects.toMatchObject({
      code: 'ARCHIVE_INVALID',
    });
    const outside = await makeTempDir();
    const through = await tarFrom([
      { header: { name: 'link', type: 'symlink', linkname: outside } },
      file('link/evil'),
    ]);
    await expect(
      extractTar(Readable.from([through]), dir, { whiteouts: false, what: 'y.tar' }),
    ).rejects.toThrow(/y.tar: member "link\/evil" would be written outside/);
    expect(await readdir(outside)).toEqual([]);
  });
});
