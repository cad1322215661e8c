import { afterAll, describe, expect, it, jest } from '@jest/globals';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { compress } from 'zstd-napi';
import { unpackTar, UnpackBudget, type UnpackOptions } from '../../src/unpack';
import { makeTempDir, removeTempDirs, treeHash } from '../harness';
import { dir, file, hardlink, symlink, tarOf, type Member } from './hostile-tars';

afterAll(removeTempDirs);

/**
 * A sandbox: `target` to unpack into and `outside` beside it holding a file, so a test can hash everything around
 * the target before and after (the only change allowed is below `target`).
 */
async function sandbox() {
  const root = await makeTempDir('kimg-unpack-');
  const target = join(root, 'target');
  const outside = join(root, 'outside');
  await mkdir(target);
  await mkdir(outside);
  await writeFile(join(outside, 'secret'), 'host file');
  const before = await treeHash(outside);
  return { root, target, outside, unchanged: async () => expect(await treeHash(outside)).toBe(before) };
}

const layer = { whiteouts: true, what: 'layer' } satisfies UnpackOptions;
const archive = { whiteouts: false, what: 'x.tar' } satisfies UnpackOptions;
const unpack = async (members: Member[], target: string, options: UnpackOptions) =>
  unpackTar(Readable.from([await tarOf(members)]), target, options);

describe('unpackTar: stacking layers (image-spec layer.md)', () => {
  it('later members replace earlier ones, whiteouts and opaque dirs delete lower ones, gzip and zstd by magic', async () => {
    const { target } = await sandbox();
    await unpack([file('a/keep'), file('a/gone'), file('b/old'), file('c')], target, layer);
    const upper = await tarOf([
      file('a/.wh.gone'),
      file('b/.wh..wh..opq'),
      file('b/new'),
      symlink('c', 'a/keep'),
      file('.wh..wh.plnk/ignored'), // AUFS metadata: skipped, as moby does
    ]);
    await unpackTar(Readable.from([gzipSync(upper)]), target, layer);
    await unpackTar(Readable.from([compress(await tarOf([file('z')]))]), target, layer);
    expect(await readdir(join(target, 'a'))).toEqual(['keep']);
    expect(await readdir(join(target, 'b'))).toEqual(['new']);
    expect(await readlink(join(target, 'c'))).toBe('a/keep');
    expect(await readFile(join(target, 'z'), 'utf8')).toBe('z');
    expect(existsSync(join(target, '.wh..wh.plnk'))).toBe(false);
  });

  it('a whiteout spares what its own layer wrote (opaque marker after the new files)', async () => {
    const { target } = await sandbox();
    await unpack([file('d/lower')], target, layer);
    await unpack([file('d/x'), file('d/.wh.x'), file('d/sub/y'), file('d/.wh..wh..opq')], target, layer);
    expect((await readdir(join(target, 'd'))).sort()).toEqual(['sub', 'x']);
  });

  it('an ADD archive (no whiteouts) keeps .wh. names as files', async () => {
    const { target } = await sandbox();
    await unpack([file('keep'), file('.wh.keep')], target, archive);
    expect((await readdir(target)).sort()).toEqual(['.wh.keep', 'keep']);
  });

  it('directories stay owner-writable (0555 in the layer) so the tree can be removed unprivileged', async () => {
    const { target } = await sandbox();
    await unpack([dir('ro', 0o555), file('ro/f')], target, layer);
    expect((await stat(join(target, 'ro'))).mode & 0o777).toBe(0o755);
    await unpack([file('ro/g')], target, layer);
    await rm(join(target, 'ro'), { recursive: true });
  });
});

describe('unpackTar: nothing is written outside the target (CVE-2018-20482 class)', () => {
  it('refuses `..` members', async () => {
    const box = await sandbox();
    for (const name of ['../outside/secret', 'a/../../outside/evil', '..']) {
      await expect(unpack([file(name, 'evil')], box.target, archive)).rejects.toMatchObject({
        code: 'ARCHIVE_INVALID',
        message: expect.stringContaining('would be written outside the extraction directory'),
      });
    }
    await box.unchanged();
    expect(await readdir(box.target)).toEqual([]);
  });

  it('makes absolute names relative to the target', async () => {
    const box = await sandbox();
    await unpack([file(`${box.outside}/secret`, 'evil'), file('/etc/evil')], box.target, archive);
    await box.unchanged();
    expect(await readFile(join(box.target, box.outside, 'secret'), 'utf8')).toBe('evil');
    expect(existsSync(join(box.target, 'etc', 'evil'))).toBe(true);
  });

  it('a symlink then a file through it: the link is followed inside the target only', async () => {
    const box = await sandbox();
    await unpack(
      [
        symlink('abs', box.outside),
        file('abs/secret', 'evil'),
        symlink('rel', '../../../../../../../..'),
        file(`rel${box.outside}/secret`, 'evil2'),
        symlink('loop', 'loop'),
      ],
      box.target,
      archive,
    );
    await box.unchanged();
    expect(await readFile(join(box.target, box.outside, 'secret'), 'utf8')).toBe('evil2');
    expect(await readlink(join(box.target, 'abs'))).toBe(box.outside);
    await expect(unpack([file('loop/x')], box.target, archive)).rejects.toThrow(/more than 40 symlinks/);
    await box.unchanged();
  });

  it('a symlinked parent dir left by a lower layer does not lead out, and the last component is never followed', async () => {
    const box = await sandbox();
    await unpack(
      [symlink('etc', box.outside), symlink('file', join(box.outside, 'secret'))],
      box.target,
      layer,
    );
    await unpack([file('etc/secret', 'evil'), file('file', 'replaced')], box.target, layer);
    await box.unchanged();
    expect(await readFile(join(box.target, box.outside, 'secret'), 'utf8')).toBe('evil');
    expect((await lstat(join(box.target, 'file'))).isFile()).toBe(true);
  });

  it('a directory replaced by a symlink in the same tar: later members follow the new link, inside', async () => {
    const box = await sandbox();
    await unpack([file('d/x'), symlink('d', box.outside), file('d/y', 'evil')], box.target, archive);
    await box.unchanged();
    expect(await readFile(join(box.target, box.outside, 'y'), 'utf8')).toBe('evil');
  });

  it('hard links join members only: to outside, through a symlink out, or to nothing, they are refused', async () => {
    const box = await sandbox();
    const refused = [
      [hardlink('h', '../outside/secret')],
      [hardlink('h', join(box.outside, 'secret'))],
      [symlink('out', box.outside), hardlink('h', 'out/secret')],
    ];
    for (const members of refused)
      await expect(unpack(members, box.target, archive)).rejects.toMatchObject({ code: 'ARCHIVE_INVALID' });
    await unpack([file('real', 'inside'), hardlink('same', 'real')], box.target, archive);
    expect((await stat(join(box.target, 'same'))).ino).toBe((await stat(join(box.target, 'real'))).ino);
    await box.unchanged();
  });

  it.each(['.wh..', '.wh.', '.wh...', '/.wh..', 'a/.wh..', 'a/.wh...'])(
    'refuses the whiteout %j (it names no entry: the dir itself or its parent)',
    async (name) => {
      const box = await sandbox();
      await unpack([file('a/keep')], box.target, layer);
      const around = await treeHash(box.root);
      await expect(unpack([file(name, '')], box.target, layer)).rejects.toMatchObject({
        code: 'ARCHIVE_INVALID',
        message: expect.stringContaining('names no entry of its directory'),
      });
      expect(await treeHash(box.root)).toBe(around);
    },
  );

  it('a whiteout through a symlink to outside deletes inside the target only', async () => {
    const box = await sandbox();
    await unpack([symlink('link', box.outside), file(`${box.outside}/secret`, 'copy')], box.target, layer);
    await unpack([file('link/.wh.secret'), file('link/.wh..wh..opq')], box.target, layer);
    await box.unchanged();
    expect(existsSync(join(box.target, box.outside, 'secret'))).toBe(false);
  });
});

describe('unpackTar: special files', () => {
  const device: Member = {
    header: { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
  };
  const fifo: Member = { header: { name: 'pipe', type: 'fifo', mode: 0o600 } };

  it('skips devices and FIFOs unless asked, and lists them', async () => {
    const { target } = await sandbox();
    const result = await unpack([device, fifo, file('f')], target, layer);
    expect(result.skipped).toEqual(['dev/null', 'pipe']);
    expect(existsSync(join(target, 'pipe'))).toBe(false);
  });

  it('asked for as another user than root: refused', async () => {
    const { target } = await sandbox();
    const uid = jest.spyOn(process, 'getuid').mockReturnValue(1000);
    try {
      await expect(unpack([device], target, { ...layer, specialFiles: 'create' })).rejects.toMatchObject({
        code: 'UNSUPPORTED',
        message: expect.stringContaining('only root may create one'),
      });
    } finally {
      uid.mockRestore();
    }
  });

  (process.getuid?.() === 0 ? it : it.skip)('asked for as root: created', async () => {
    const { target } = await sandbox();
    await unpack([device, fifo], target, { ...layer, specialFiles: 'create' });
    const made = await stat(join(target, 'dev', 'null'));
    expect(made.isCharacterDevice()).toBe(true);
    expect((await stat(join(target, 'pipe'))).isFIFO()).toBe(true);
  });
});

describe('unpackTar: caps name themselves and the flag that raises them', () => {
  const capped = async (members: Member[] | Buffer, options: Partial<UnpackOptions>) => {
    const { target } = await sandbox();
    const tar = Buffer.isBuffer(members) ? members : await tarOf(members);
    const error = await unpackTar(Readable.from([tar]), target, { ...archive, ...options }).catch(
      (err: unknown) => err as Error & { hint?: string; code?: string },
    );
    return { error: error as Error & { hint?: string; code?: string }, target };
  };

  it('total bytes: a gzip bomb stops at the cap, with the cap in the message', async () => {
    const bomb = gzipSync(
      await tarOf([{ header: { name: 'zeros', mode: 0o644 }, content: Buffer.alloc(64 << 20) }]),
    );
    expect(bomb.length).toBeLessThan(1 << 20);
    const started = Date.now();
    const { error, target } = await capped(bomb, { limits: { maxBytes: 1 << 20 } });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error.code).toBe('SIZE_LIMIT');
    expect(error.message).toBe(
      'x.tar: member "zeros" (67108864 bytes) would take it further, over the unpacked size cap of 1 MiB (1048576 bytes)',
    );
    expect(error.hint).toBe(
      'if the archive is genuine, raise the cap with --max-unpack-size or KIMG_MAX_UNPACK_SIZE',
    );
    expect(existsSync(join(target, 'zeros'))).toBe(false); // refused on its header, before a byte was written
  });

  it('total bytes: a stream of zero blocks (no entries at all) is stopped too', async () => {
    const { error } = await capped(gzipSync(Buffer.alloc(8 << 20)), { limits: { maxBytes: 1 << 20 } });
    expect(error.message).toContain('the archive unpacks to more, over the unpacked size cap of 1 MiB');
  });

  it('a budget shared by layers counts them together', async () => {
    const { target } = await sandbox();
    const budget = new UnpackBudget({ maxEntries: 3 });
    await unpackTar(Readable.from([await tarOf([file('a'), file('b')])]), target, { ...layer, budget });
    await expect(
      unpackTar(Readable.from([await tarOf([file('c'), file('d')])]), target, { ...layer, budget }),
    ).rejects.toThrow('member "d" is one entry too many, over the entry count cap of 3');
  });

  it('entries, entry size, path length and depth', async () => {
    const entries = await capped([file('a'), file('b'), file('c')], { limits: { maxEntries: 2 } });
    expect(entries.error.message).toBe(
      'x.tar: member "c" is one entry too many, over the entry count cap of 2',
    );
    expect(entries.error.hint).toContain('--max-unpack-entries or KIMG_MAX_UNPACK_ENTRIES');
    const size = await capped([file('big', 'x'.repeat(2000))], { limits: { maxEntryBytes: 1024 } });
    expect(size.error.message).toBe(
      'x.tar: member "big" holds 2000 bytes, over the entry size cap of 1 KiB (1024 bytes)',
    );
    expect(size.error.hint).toContain('KIMG_MAX_UNPACK_ENTRY_SIZE');
    expect(existsSync(join(size.target, 'big'))).toBe(false);
    const long = await capped([file('n'.repeat(300))], { limits: { maxPathLength: 255 } });
    expect(long.error.message).toBe('x.tar: a member name of 300 bytes, over the path length cap of 255');
    expect(long.error.hint).toContain('KIMG_MAX_UNPACK_PATH_LENGTH');
    const link = await capped([symlink('l', 't'.repeat(300))], { limits: { maxPathLength: 255 } });
    expect(link.error.message).toBe('x.tar: a link target of 300 bytes, over the path length cap of 255');
    const deep = await capped([file(`${'d/'.repeat(20)}f`)], { limits: { maxDepth: 8 } });
    expect(deep.error.message).toContain('is 21 levels deep, over the path depth cap of 8');
    expect(deep.error.hint).toContain('KIMG_MAX_UNPACK_DEPTH');
  });

  it('a damaged tar is ARCHIVE_INVALID naming it', async () => {
    const tar = await tarOf([file('a', 'x'.repeat(5000))]);
    const { error } = await capped(tar.subarray(0, 2000), {});
    expect(error.code).toBe('ARCHIVE_INVALID');
    expect(error.message).toBe('x.tar: not a readable tar (Unexpected end of data)');
  });
});
