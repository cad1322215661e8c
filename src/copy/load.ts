import { KimgError } from '../errors';
import { normalizeName } from '../reference';
import { openArchiveSource, type ArchiveReadOptions } from '../transport/archive';
import type { Target } from '../transport/types';
import type { CopyGraphOptions } from './copy-graph';
import { transfer, type TransferItem, type TransferResult } from './transfer';

export interface LoadResult extends TransferResult {
  format: 'oci-archive' | 'docker-archive';
  /** Names in the archive that are not valid image references; those images were loaded untagged. */
  skippedNames: string[];
}

/**
 * `kimg load`: every image of an oci-archive or docker-archive (format detected from the content) into the
 * store, as one transaction — either all images land or the store is left as it was.
 */
export async function loadArchive(
  file: string,
  store: Target,
  options: CopyGraphOptions & { archive?: ArchiveReadOptions } = {},
): Promise<LoadResult> {
  const { archive: archiveOptions, ...copyOptions } = options;
  // The CLI passes the store's scratch and the inflate bound (transport/open.ts archiveReadOptions).
  const archive = await openArchiveSource(file, archiveOptions);
  try {
    const images = await archive.source.list(copyOptions);
    if (images.length === 0) {
      throw new KimgError(
        'ARCHIVE_INVALID',
        `${file} holds no images`,
        'check that the file was written completely',
      );
    }
    // Names as a Set per image: an archive may carry 10,000 RepoTags for one image (includes() was quadratic).
    const byDigest = new Map<string, { descriptor: TransferItem['descriptor']; names: Set<string> }>();
    const skippedNames: string[] = [];
    for (const image of images) {
      let item = byDigest.get(image.descriptor.digest);
      if (!item) {
        item = { descriptor: image.descriptor, names: new Set() };
        byDigest.set(image.descriptor.digest, item);
      }
      if (image.name === undefined) continue;
      try {
        item.names.add(normalizeName(image.name));
      } catch {
        skippedNames.push(image.name);
      }
    }
    const items: TransferItem[] = [...byDigest.values()].map(({ descriptor, names }) => ({
      descriptor,
      names: [...names],
    }));
    const result = await transfer(archive.source, store, items, copyOptions);
    return { ...result, format: archive.format, skippedNames };
  } finally {
    await archive.source.close();
  }
}
