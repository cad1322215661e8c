import { afterAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { crc32, gunzipSync } from 'node:zlib';
import { crc32Combine, DeflatePool, fixedBlocks, parallelGzip, sourceDateEpoch } from '../../src/layer';
import { makeTempDir, removeTempDirs, runOk } from '../harness';
import { patternBytes } from './helpers';

afterAll(removeTempDirs);

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Text-like input (compressible, with matches that cross block boundaries) cut into uneven reads. */
function input(size: number): Buffer {
  const words = patternBytes('words', 4096).toString('hex');
  return Buffer.from(words.repeat(Math.ceil(size / words.length)).slice(0, size));
}

function reads(data: Buffer, cut: number): AsyncIterable<Buffer> {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += cut) parts.push(data.subarray(i, i + cut));
  return Readable.from(parts);
}

async function gzipWith(data: Buffer, workers: number, cut: number, blockSize = 64 * 1024): Promise<Buffer> {
  const pool = new DeflatePool(workers);
  try {
    return await collect(parallelGzip(reads(data, cut), { pool, blockSize }));
  } finally {
    await pool.close();
  }
}

describe('parallelGzip', () => {
  it('gives the same bytes for 1, 2 and 4 workers and any read sizes, and gunzips to the input', async () => {
    const data = input(1_000_000 + 123); // 16 blocks of 64 KiB, the last one short
    const one = await gzipWith(data, 1, 65_536);
    expect((await gzipWith(data, 2, 1000)).equals(one)).toBe(true);
    expect((await gzipWith(data, 4, 333_333)).equals(one)).toBe(true);
    expect(gunzipSync(one).equals(data)).toBe(true);
    expect(one.length).toBeLessThan(data.length / 1.5); // the dictionary carried across blocks keeps matches
  });

  it('is accepted by gzip -t, including a single block and empty input', async () => {
    const dir = await makeTempDir('kimg-gzip-');
    for (const [name, size] of [
      ['many', 700_000],
      ['one', 1000],
      ['empty', 0],
    ] as const) {
      const file = join(dir, `${name}.gz`);
      await writeFile(file, await gzipWith(input(size), 3, 4096));
      await runOk('gzip', ['-t', file]);
      expect(gunzipSync(await gzipWith(input(size), 1, 4096)).length).toBe(size);
    }
  });

  it('fails the stream when the source fails, without leaking rejections', async () => {
    async function* broken(): AsyncGenerator<Buffer> {
      yield input(300_000);
      throw new Error('disk on fire');
    }
    const pool = new DeflatePool(2);
    try {
      await expect(collect(parallelGzip(broken(), { pool, blockSize: 65_536 }))).rejects.toThrow(
        'disk on fire',
      );
    } finally {
      await pool.close();
    }
  });
});

describe('crc32Combine', () => {
  it('matches the CRC of the concatenation', () => {
    const a = patternBytes('a', 100_001);
    const b = patternBytes('b', 77_777);
    expect(crc32Combine(crc32(a), crc32(b), b.length)).toBe(crc32(Buffer.concat([a, b])));
    expect(crc32Combine(0, crc32(b), b.length)).toBe(crc32(b));
    expect(crc32Combine(crc32(a), 0, 0)).toBe(crc32(a));
  });
});

describe('fixedBlocks', () => {
  it('re-cuts any reads into equal blocks with a short last one', async () => {
    const blocks: number[] = [];
    for await (const block of fixedBlocks(reads(input(10_000), 3_000), 4096)) blocks.push(block.length);
    expect(blocks).toEqual([4096, 4096, 1808]);
  });
});

describe('sourceDateEpoch', () => {
  it('reads whole seconds, defaults to 0, refuses anything else', () => {
    expect(sourceDateEpoch({})).toBe(0);
    expect(sourceDateEpoch({ SOURCE_DATE_EPOCH: '1700000000' })).toBe(1_700_000_000);
    expect(() => sourceDateEpoch({ SOURCE_DATE_EPOCH: '2024-01-01' })).toThrow(/not a number of seconds/);
  });
});
