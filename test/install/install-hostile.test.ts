import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { kimg, kimgOk, makeTempDir, removeTempDirs, treeHash } from '../harness';
import { writeImageLayout } from '../unpack/hostile-image';
import { dir, file, hardlink, symlink, tarOf } from '../unpack/hostile-tars';

// Malicious layers given to kimg install (issue 11): each is refused or contained, and nothing is written
// outside --target (the folder beside it hashed before and after). The unpacker's own rules are tested in
// test/unpack; these check that install goes through it with a host's policy (no device nodes, caps).
let root: string;
let around: string;
let outside: string;
let layout: string;

/** A raw 512-byte tar header (ustar, or GNU with `realSize` for a sparse member), then `content` padded. */
function rawMember(
  name: string,
  typeflag: string,
  size: number,
  content = Buffer.alloc(0),
  realSize?: number,
): Buffer {
  const header = Buffer.alloc(512);
  const put = (text: string, at: number) => header.write(text, at, 'latin1');
  const octal = (value: number, width: number) => value.toString(8).padStart(width - 1, '0');
  put(name, 0);
  put(octal(0o644, 8), 100);
  put(octal(0, 8), 108);
  put(octal(0, 8), 116);
  put(octal(size, 12), 124);
  put(octal(0, 12), 136);
  put(typeflag, 156);
  if (realSize === undefined) put('ustar\u000000', 257);
  else {
    put('ustar  \u0000', 257);
    // GNU sparse: one map entry (offset 0, `size` bytes stored) and the file's real size.
    put(octal(0, 12), 386);
    put(octal(size, 12), 398);
    put(octal(realSize, 12), 483);
  }
  put('        ', 148);
  let sum = 0;
  for (const byte of header) sum += byte;
  put(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148);
  const padded = Buffer.alloc(Math.ceil(content.length / 512) * 512);
  content.copy(padded);
  return Buffer.concat([header, padded]);
}

const endOfArchive = Buffer.alloc(1024);

async function hostileImage(name: string, tar: Buffer): Promise<string> {
  await writeImageLayout(layout, name, [tar]);
  await kimgOk(['copy', `oci:${layout}:${name}`, `hostile/${name}:1`], { root });
  return `hostile/${name}:1`;
}

async function install(name: string, tar: Buffer, env: Record<string, string> = {}) {
  const image = await hostileImage(name, tar);
  const target = join(around, name);
  const result = await kimg(['install', image, '--cluster', name, '--target', target], {
    root,
    env: { KIMG_CLUSTERS_DIR: join(around, 'clusters'), ...env },
  });
  return { ...result, rootfs: join(target, 'rootfs') };
}

let outsideHash: string;

beforeAll(async () => {
  root = await makeTempDir('kimg-root-');
  layout = await makeTempDir('kimg-hostile-layout-');
  around = await makeTempDir('kimg-around-');
  outside = join(around, 'outside');
  await mkdir(outside);
  await writeFile(join(outside, 'file'), 'precious\n');
  outsideHash = await treeHash(outside);
}, 60_000);

afterAll(async () => {
  expect(await treeHash(outside)).toBe(outsideHash);
  expect(existsSync('/kimg-pwned')).toBe(false);
  await removeTempDirs();
});

describe('kimg install: malicious layers are refused or contained', () => {
  it('`../` members are refused', async () => {
    const result = await install('dotdot', await tarOf([file('../../outside/pwned')]));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('kimg: error: hostile/dotdot:1 layer 1');
    expect(result.stderr).toContain('..');
  });

  it('absolute names land inside the target', async () => {
    const result = await install('absolute', await tarOf([dir('/kimg-pwned'), file('/kimg-pwned/x')]));
    expect(result.code).toBe(0);
    expect((await lstat(join(result.rootfs, 'kimg-pwned', 'x'))).isFile()).toBe(true);
  });

  it('a symlink out and then a file through it stays inside the target', async () => {
    const tar = await tarOf([
      symlink('escape', '../../../outside'),
      file('escape/pwned'),
      symlink('abs', '/'),
      file('abs/kimg-pwned-too'),
    ]);
    const result = await install('symlink', tar);
    expect(result.code).toBe(0);
    expect(existsSync(join(outside, 'pwned'))).toBe(false);
    expect(existsSync(join(result.rootfs, 'kimg-pwned-too'))).toBe(true);
  });

  it('a hard link to a file outside is refused', async () => {
    const result = await install('hardlink', await tarOf([hardlink('stolen', '../../outside/file')]));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'member "../../outside/file" would be written outside the extraction directory',
    );
  });

  it('a huge sparse file (GNU sparse, 1 TiB) is skipped and named; a 7 GiB member is over the entry cap', async () => {
    const sparse = Buffer.concat([rawMember('huge', 'S', 512, Buffer.alloc(512, 1), 2 ** 40), endOfArchive]);
    const skipped = await install('sparse', sparse);
    expect(skipped.code).toBe(0);
    expect(skipped.stderr).toContain('skipped special file huge');
    expect(existsSync(join(skipped.rootfs, 'huge'))).toBe(false);

    const declared = Buffer.concat([rawMember('big', '0', 7 * 2 ** 30), endOfArchive]);
    const refused = await install('declared', declared, { KIMG_MAX_UNPACK_ENTRY_SIZE: '1GiB' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('over the entry size cap of 1 GiB');
  });

  it('a device node is not created', async () => {
    const tar = await tarOf([
      { header: { name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0, mode: 0o660 } },
    ]);
    const result = await install('device', tar);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('skipped special file dev/sda');
    expect(await readdir(join(result.rootfs, 'dev')).catch(() => [])).toEqual([]);
  });

  it('a tar bomb stops at the unpack cap', async () => {
    const bomb = await tarOf([{ header: { name: 'zeros', mode: 0o644 }, content: Buffer.alloc(64 << 20) }]);
    expect(gzipSync(bomb).length).toBeLessThan(1 << 20);
    const result = await install('bomb', bomb, { KIMG_MAX_UNPACK_SIZE: '16MiB' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('over the unpacked size cap of 16 MiB');
  });
});
