import { afterAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { digestOf, VerifyingStream } from '../../src/digest';
import { Ingest, LayoutPaths } from '../../src/store';
import { FLUSH_EVERY_BYTES, STAGING_BUFFER_BYTES } from '../../src/store/ingest';
import { makeTempDir, removeTempDirs } from '../harness';

afterAll(removeTempDirs);

/** `data` in chunks of `size` bytes, produced faster than a file takes them (so the sink batches them). */
function chunked(data: Buffer, size: number): Readable {
  const chunks: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) chunks.push(data.subarray(at, at + size));
  return Readable.from(chunks, { objectMode: false });
}

describe('Ingest staging writes (batched writev, background fdatasyncs, one fsync at the end)', () => {
  it.each([
    ['small chunks', 4096],
    ['socket-sized chunks', 64 * 1024],
    ['chunks larger than the buffer', STAGING_BUFFER_BYTES + 123],
  ])('stages a blob byte for byte from %s', async (_name, size) => {
    const data = randomBytes(3 * STAGING_BUFFER_BYTES + 777);
    const desc = { mediaType: 'application/octet-stream', digest: digestOf(data), size: data.length };
    const ingest = new Ingest(new LayoutPaths(await makeTempDir()));
    await ingest.stage(desc, chunked(data, size));
    const staged = ingest.stagedPath(desc.digest) as string;
    expect((await fs.readFile(staged)).equals(data)).toBe(true);
    await ingest.remove();
  });

  it('stages a blob several flush intervals long (background fdatasyncs) byte for byte, staged or produced', async () => {
    const data = randomBytes(2 * FLUSH_EVERY_BYTES + 12_345);
    const desc = { mediaType: 'application/octet-stream', digest: digestOf(data), size: data.length };
    const ingest = new Ingest(new LayoutPaths(await makeTempDir()));
    await ingest.stage(desc, chunked(data, 256 * 1024));
    expect((await fs.readFile(ingest.stagedPath(desc.digest) as string)).equals(data)).toBe(true);
    const produced = await ingest.stageProduced((sink) =>
      pipeline(chunked(Buffer.concat([data, data]), 1024 * 1024), sink),
    );
    expect(produced).toMatchObject({ digest: digestOf(Buffer.concat([data, data])), size: 2 * data.length });
    await ingest.remove();
  });

  it('an already verified source is not hashed again, and its mismatch still keeps nothing', async () => {
    const data = randomBytes(2 * STAGING_BUFFER_BYTES);
    const wrong = { mediaType: 'application/octet-stream', digest: digestOf('other'), size: data.length };
    const source = new VerifyingStream(wrong);
    chunked(data, 64 * 1024).pipe(source);
    const root = await makeTempDir();
    const ingest = new Ingest(new LayoutPaths(root));
    await expect(ingest.stage(wrong, source)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    expect(ingest.stagedPath(wrong.digest)).toBeUndefined();
    const left = await fs.readdir(ingest.dir);
    expect(left.filter((name) => name !== 'owner.json')).toEqual([]);
    await ingest.remove();
  });
});
