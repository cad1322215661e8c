import { afterAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import { removeOnInterrupt } from '../../src/interrupt';
import { BundleOutput } from '../../src/transport/archive';
import { makeTempDir, removeTempDirs } from '../harness/temp';

afterAll(removeTempDirs);

const MiB = 1024 * 1024;
const adopt = async (file: string) => removeOnInterrupt(file);

/** The bytes the tar writer would send, in uneven chunks. */
function chunks(total: number): Readable {
  const data = Buffer.alloc(total, 7);
  for (let i = 0; i < total; i += 4096) data[i] = i % 251;
  const pieces: Buffer[] = [];
  for (let at = 0; at < total; at += 300_001) pieces.push(data.subarray(at, Math.min(total, at + 300_001)));
  return Readable.from(pieces);
}

describe('BundleOutput', () => {
  it('2 MiB split at 1 MiB: exactly two full parts, no empty third; the list records both', async () => {
    const dir = await makeTempDir();
    const file = join(dir, 'b.tar');
    const output = await BundleOutput.create(file, { splitBytes: MiB }, adopt);
    await pipeline(chunks(2 * MiB), output.input);
    const written = await output.commit();
    expect((await readdir(dir)).sort()).toEqual(['b.tar.part000', 'b.tar.part001', 'b.tar.part002']);
    expect(written.files.map((f) => f.size).slice(1)).toEqual([MiB, MiB]);
    const whole = Buffer.concat([await readFile(`${file}.part001`), await readFile(`${file}.part002`)]);
    expect(createHash('sha256').update(whole).digest('hex')).toBe(written.sha256);
  });

  it('gzip written from the first byte on: one valid gzip member (its header is emitted at once)', async () => {
    const dir = await makeTempDir();
    const file = join(dir, 'b.tar.gz');
    const output = await BundleOutput.create(file, { compression: 'gzip' }, adopt);
    await pipeline(chunks(3 * MiB), output.input);
    await output.commit();
    expect(gunzipSync(await readFile(file)).length).toBe(3 * MiB);
    expect(await readdir(dir)).toEqual(['b.tar.gz']);
  });
});
