import { Readable } from 'node:stream';
import type { Descriptor } from '../manifest/descriptor';
import { blobOriginOf } from '../transport/capabilities';
import type { IoOptions, NamedImage, ReadOnlyTarget } from '../transport/types';

/**
 * A source plus documents made during this copy (a filtered index, converted manifests): the copy engine reads
 * those from memory and everything else from the real source. The made documents were digested when made, so
 * serving them unverified is safe.
 */
export function overlaySource(source: ReadOnlyTarget, made: ReadonlyMap<string, Buffer>): ReadOnlyTarget {
  // `made` may still grow after this call (transfer fills it per image): always consult it.
  const blobOrigin = blobOriginOf(source);
  return {
    // Blobs are the source's own (made documents are manifests), so they can still be mounted from it.
    ...(blobOrigin && { blobOrigin }),
    description: source.description,
    fetch: async (desc: Descriptor, options?: IoOptions) => {
      const bytes = made.get(desc.digest);
      return bytes ? Readable.from([bytes]) : source.fetch(desc, options);
    },
    exists: async (desc: Descriptor, options?: IoOptions) =>
      made.has(desc.digest) || source.exists(desc, options),
    resolve: (ref: string | undefined, options?: IoOptions) => source.resolve(ref, options),
    list: (options?: IoOptions): Promise<NamedImage[]> => source.list(options),
    close: () => source.close(),
  };
}
