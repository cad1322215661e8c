import type { Readable } from 'node:stream';
import { KimgError } from '../errors';
import type { Descriptor } from '../manifest/descriptor';
import type { IoOptions, ReadOnlyTarget } from './types';

/** Collects a stream into memory, refusing more than `limit` bytes (manifests, configs: bounded by limits.ts). */
export async function readAll(stream: Readable, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += (chunk as Buffer).length;
    if (total > limit) {
      stream.destroy();
      throw new KimgError('SIZE_LIMIT', `${what} is larger than the ${limit}-byte limit`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Fetches a small blob (manifest, config) whole; the target's fetch already verified its digest. */
export async function readBlob(
  target: ReadOnlyTarget,
  desc: Descriptor,
  limit: number,
  options?: IoOptions,
): Promise<Buffer> {
  if (desc.size > limit) {
    throw new KimgError(
      'SIZE_LIMIT',
      `${desc.mediaType} ${desc.digest} in ${target.description} is ${desc.size} bytes, over the ${limit}-byte limit`,
    );
  }
  return readAll(await target.fetch(desc, options), limit, `${desc.digest} in ${target.description}`);
}
