import { crc32, deflateRawSync, constants as zlibConstants } from 'node:zlib';
import { crc32Combine } from './crc32-combine';
import type { DeflatedBlock, DeflatePool } from './deflate-pool';
import { BlockBuffers, COMPRESSION_BLOCK_SIZE, fixedBlocks } from './fixed-blocks';

/** zlib's default level, and what pigz, gzip and containers/image (buildah) use unless told otherwise. */
export const DEFAULT_GZIP_LEVEL = 6;

/** Deflate's window (RFC 1951 §2): the most of the previous block a match can reach back into. */
const DICTIONARY_SIZE = 32 * 1024;

/**
 * RFC 1952 §2.3 member header: CM 8 (deflate), no flags, MTIME 0 (no time in the output), XFL 0, OS 255
 * ("unknown", as Go's compress/gzip writes, so the bytes do not say which system built the layer).
 */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff]);

/** RFC 1951 §3.2.6: a final (BFINAL=1) fixed-Huffman block holding only end-of-block, after the last flush. */
const FINAL_EMPTY_BLOCK = Buffer.from([0x03, 0x00]);

export interface ParallelGzipOptions {
  pool: DeflatePool;
  level?: number;
  blockSize?: number;
  /** Where input blocks go when a worker hands them back (shared with the tar writer, which fills them). */
  buffers?: BlockBuffers;
}

/**
 * pigz's scheme: one gzip member whose deflate stream is cut into fixed-size blocks compressed independently in
 * worker threads (each primed with the previous block's last 32 KiB and ended with a sync flush), concatenated
 * in order, closed with an empty final block and a trailer whose CRC is combined from the blocks' CRCs. The
 * bytes depend only on the input, the level and the block size — never on the worker count or timing. At most
 * 2 × pool size blocks are in flight, so memory stays flat whatever the layer size.
 */
export async function* parallelGzip(
  source: AsyncIterable<Uint8Array>,
  options: ParallelGzipOptions,
): AsyncGenerator<Buffer> {
  const level = options.level ?? DEFAULT_GZIP_LEVEL;
  const maxInFlight = 2 * options.pool.size;
  const inFlight: Promise<DeflatedBlock & { length: number }>[] = [];
  let dictionary: Buffer | undefined;
  let crc = 0;
  let total = 0;
  let first: Buffer | undefined;
  let blocks = 0;
  const blockSize = options.blockSize ?? COMPRESSION_BLOCK_SIZE;
  // Input blocks come back from the workers and are refilled (fixed-blocks.ts BlockBuffers).
  const buffers = options.buffers ?? new BlockBuffers(blockSize);

  const submit = (block: Buffer): void => {
    const length = block.length;
    const primer = dictionary;
    // Copied before the block's memory is transferred to a worker.
    dictionary = Buffer.from(block.subarray(Math.max(0, length - DICTIONARY_SIZE)));
    const job = options.pool.deflate(block, primer, level).then((done) => ({ ...done, length }));
    job.catch(() => undefined); // observed when its turn comes; never an unhandled rejection meanwhile
    inFlight.push(job);
  };
  const next = async (): Promise<Buffer> => {
    const done = await (inFlight.shift() as Promise<DeflatedBlock & { length: number }>);
    crc = crc32Combine(crc, done.crc, done.length);
    buffers.give(done.data);
    return done.out;
  };

  yield GZIP_HEADER;
  for await (const block of fixedBlocks(source, blockSize, () => buffers.take())) {
    total += block.length;
    blocks++;
    // A layer of one block (most COPY layers of config files) is deflated right here: no worker is started.
    if (blocks === 1) {
      first = block;
      continue;
    }
    if (first) submit(first);
    first = undefined;
    submit(block);
    while (inFlight.length >= maxInFlight) yield await next();
  }
  if (first) {
    crc = crc32(first);
    yield deflateRawSync(first, { level, finishFlush: zlibConstants.Z_SYNC_FLUSH });
  }
  while (inFlight.length > 0) yield await next();

  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(total % 2 ** 32, 4); // ISIZE: input size modulo 2^32 (RFC 1952 §2.3.1)
  yield Buffer.concat([FINAL_EMPTY_BLOCK, trailer]);
}
