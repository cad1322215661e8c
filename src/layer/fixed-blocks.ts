/**
 * Compression block size: the unit of parallel gzip and of the chunks fed to zstd. Output bytes depend on it, so
 * changing it changes layer digests: it is part of the format, like pigz's default `-b 128` (we use larger blocks
 * for fewer flush markers and less per-job overhead; the dictionary carried between blocks keeps the ratio).
 */
export const COMPRESSION_BLOCK_SIZE = 1 << 20;

/**
 * A free list of whole-ArrayBuffer blocks of one size. The tar is written into them (file bytes are read straight
 * into a block: the one copy from the page cache), the compressor hands them back when it is done, and the next
 * block reuses the memory: a layer cycles through a fixed set of buffers instead of one new megabyte per block
 * for the garbage collector to find (V8 is lazy about external memory; that was a second of GC per 250 MB).
 */
export class BlockBuffers {
  private readonly spare: Buffer[] = [];

  constructor(readonly size: number = COMPRESSION_BLOCK_SIZE) {}

  take(): Buffer {
    return this.spare.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  /** Gives a block back; anything that is not a whole block of ours (a short last block's view) is dropped. */
  give(block: Buffer): void {
    if (block.byteOffset === 0 && block.buffer.byteLength === this.size && this.spare.length < 64) {
      this.spare.push(block.length === this.size ? block : Buffer.from(block.buffer, 0, this.size));
    }
  }
}

/**
 * Re-chunks a byte stream into blocks of exactly `size` bytes (the last may be shorter, never empty), so what a
 * compressor sees never depends on how reads happened to be cut. Every block owns its ArrayBuffer, so it can be
 * transferred to a worker thread without copying. A chunk that already is such a block, arriving on a block
 * boundary (the layer tar writes whole blocks), is passed on as it is: no copy.
 */
export async function* fixedBlocks(
  source: AsyncIterable<Uint8Array>,
  size: number = COMPRESSION_BLOCK_SIZE,
  allocate: () => Buffer = () => Buffer.allocUnsafeSlow(size),
): AsyncGenerator<Buffer> {
  let block: Buffer | undefined;
  let filled = 0;
  for await (const chunk of source) {
    if (filled === 0 && isWholeBlock(chunk, size)) {
      yield chunk as Buffer;
      continue;
    }
    let offset = 0;
    while (offset < chunk.length) {
      block ??= allocate();
      const take = Math.min(size - filled, chunk.length - offset);
      block.set(chunk.subarray(offset, offset + take), filled);
      filled += take;
      offset += take;
      if (filled === size) {
        yield block;
        block = undefined;
        filled = 0;
      }
    }
  }
  if (block && filled > 0) yield block.subarray(0, filled);
}

function isWholeBlock(chunk: Uint8Array, size: number): boolean {
  return (
    Buffer.isBuffer(chunk) &&
    chunk.length === size &&
    chunk.byteOffset === 0 &&
    chunk.buffer.byteLength === size &&
    !(chunk.buffer instanceof SharedArrayBuffer)
  );
}
