import { pipeline, Readable } from 'node:stream';
import { sniffCompression, SNIFF_BYTES, type SniffedCompression } from '../layer/compression';
import { decompressorFor } from '../layer/decompressor';

export { decompressorFor, GUNZIP_CHUNK_BYTES } from '../layer/decompressor';

/**
 * `input` decompressed (or as it is, when it is not compressed), with the compression that was found. One
 * stream: an error anywhere reaches it, and destroying it closes `input`.
 */
export async function decompressed(
  input: Readable,
): Promise<{ compression: SniffedCompression; stream: Readable }> {
  const { head, stream } = await peek(input, SNIFF_BYTES);
  const compression = sniffCompression(head);
  const stages = decompressorFor(compression);
  if (stages.length === 0) return { compression, stream };
  return { compression, stream: pipeline([stream, ...stages], () => undefined) as unknown as Readable };
}

/** The first `bytes` bytes of a stream without losing them: the head, and a stream that still yields them. */
export async function peek(input: Readable, bytes: number): Promise<{ head: Buffer; stream: Readable }> {
  const chunks: Buffer[] = [];
  let length = 0;
  const iterator = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  while (length < bytes) {
    const next = await iterator.next();
    if (next.done) break;
    chunks.push(next.value);
    length += next.value.length;
  }
  async function* rest(): AsyncGenerator<Buffer> {
    try {
      yield* chunks;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    } finally {
      await iterator.return?.(); // a consumer that stops early (an error, a cap) closes the input too
    }
  }
  return {
    head: Buffer.concat(chunks).subarray(0, bytes),
    stream: Readable.from(rest(), { objectMode: false }),
  };
}
