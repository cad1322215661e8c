/**
 * Compression block size: the unit of parallel gzip and of the chunks fed to zstd. Output bytes depend on it, so
 * changing it changes layer digests: it is part of the format, like pigz's default `-b 128` (we use larger blocks
 * for fewer flush markers and less per-job overhead; the dictionary carried between blocks keeps the ratio).
 */
export const COMPRESSION_BLOCK_SIZE = 1 << 20;

/**
 * Re-chunks a byte stream into blocks of exactly `size` bytes (the last may be shorter, never empty), so what a
 * compressor sees never depends on how reads happened to be cut. Every block owns its ArrayBuffer, so it can be
 * transferred to a worker thread without copying.
 */
export async function* fixedBlocks(
  source: AsyncIterable<Uint8Array>,
  size: number = COMPRESSION_BLOCK_SIZE,
  allocate: () => Buffer = () => Buffer.allocUnsafeSlow(size),
): AsyncGenerator<Buffer> {
  let block = allocate();
  let filled = 0;
  for await (const chunk of source) {
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(size - filled, chunk.length - offset);
      block.set(chunk.subarray(offset, offset + take), filled);
      filled += take;
      offset += take;
      if (filled === size) {
        yield block;
        block = allocate();
        filled = 0;
      }
    }
  }
  if (filled > 0) yield block.subarray(0, filled);
}
