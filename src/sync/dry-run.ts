import type { Descriptor } from '../manifest/descriptor';
import { MAX_MANIFEST_BYTES } from '../manifest/limits';
import { isManifestMediaType } from '../manifest/media-types';
import { manifestChildren, parseManifest } from '../manifest/parse';
import { openDestination, openSource, type OpenContext } from '../transport/open';
import { readBlob } from '../transport/read-blob';
import type { ReadOnlyTarget } from '../transport/types';
import type { SyncImage } from './plan';

export interface DryRunCheck {
  image: SyncImage;
  status: 'copy' | 'skip';
  digest: string;
  /** The bytes of every blob the image names (what a copy would move at most). */
  bytes: number;
}

/**
 * `--dry-run`: the cheap checks only — the source's root (one HEAD) and whether the destination has it (one
 * HEAD by tag, or a local lookup) — plus, for images that would be copied, their manifests for the sizes.
 * No blob is read, nothing is written.
 */
export async function checkImage(
  image: SyncImage,
  open: OpenContext,
  signal?: AbortSignal,
): Promise<DryRunCheck> {
  const source = await openSource({ transport: 'docker', reference: image.source }, open);
  try {
    const root = await source.resolve(undefined, { signal });
    const destination = await openDestination(image.to, open);
    let present: boolean;
    try {
      present = await destination.exists(root, { signal });
    } finally {
      await destination.close();
    }
    const bytes = present ? 0 : await graphSize(source, root, signal);
    return { image, status: present ? 'skip' : 'copy', digest: root.digest, bytes };
  } finally {
    await source.close();
  }
}

/** Sum of the blob sizes under `root` (manifests read from the source; an index's children each once). */
async function graphSize(
  source: ReadOnlyTarget,
  root: Descriptor,
  signal?: AbortSignal,
  depth = 0,
): Promise<number> {
  if (!isManifestMediaType(root.mediaType)) return root.size;
  // An index of indexes of … is bounded: real images nest two levels.
  if (depth > 4) return root.size;
  const bytes = await readBlob(source, root, MAX_MANIFEST_BYTES, { signal });
  const children = manifestChildren(parseManifest(bytes, root.mediaType, `manifest ${root.digest}`));
  let total = root.size;
  for (const child of children) total += await graphSize(source, child, signal, depth + 1);
  return total;
}
