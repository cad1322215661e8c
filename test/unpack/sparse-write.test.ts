import { afterAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { unpackTar } from '../../src/unpack';
import { makeTempDir, removeTempDirs } from '../harness/temp';
import { tarOf } from './hostile-tars';

afterAll(removeTempDirs);

const MiB = 1024 * 1024;

/** 16 MiB: data, 7 MiB of zeros, data not on a block boundary, zeros to the end (a disk image's shape). */
function diskImage(): Buffer {
  const bytes = Buffer.alloc(16 * MiB);
  bytes.fill('a', 0, MiB);
  bytes.fill('b', 8 * MiB + 100, 9 * MiB + 7);
  return bytes;
}

async function unpacked(content: Buffer, chunk: number): Promise<string> {
  const target = join(await makeTempDir('kimg-sparse-'), 'root');
  await mkdir(target);
  const tar = await tarOf([{ header: { name: 'disk.img', mode: 0o644 }, content }]);
  // Fed in odd-sized chunks so block boundaries fall inside them.
  const chunks: Buffer[] = [];
  for (let at = 0; at < tar.length; at += chunk) chunks.push(tar.subarray(at, at + chunk));
  await unpackTar(Readable.from(chunks), target, { what: 'test tar', whiteouts: false });
  return join(target, 'disk.img');
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('unpacked files keep runs of zeros as holes (install "sparse files")', () => {
  it('writes the same bytes, in a fraction of the blocks', async () => {
    const content = diskImage();
    const path = await unpacked(content, 100_003);
    const written = await stat(path);
    expect(written.size).toBe(content.length);
    expect(sha256(await readFile(path))).toBe(sha256(content));
    // 2 MiB of data (+ partial blocks) allocated, not 16 MiB.
    expect(written.blocks * 512).toBeLessThan(3 * MiB);
  });

  it('a file that ends in zeros keeps its size, and one without zeros is written whole', async () => {
    const tail = Buffer.concat([Buffer.from('head'), Buffer.alloc(5 * MiB)]);
    const tailPath = await unpacked(tail, 65_536);
    expect((await stat(tailPath)).size).toBe(tail.length);
    expect(sha256(await readFile(tailPath))).toBe(sha256(tail));

    const dense = Buffer.alloc(MiB + 5, 'x');
    const densePath = await unpacked(dense, 4095);
    expect(sha256(await readFile(densePath))).toBe(sha256(dense));
    expect((await stat(densePath)).blocks * 512).toBeGreaterThanOrEqual(dense.length);
  });
});
