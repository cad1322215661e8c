import { KimgError } from '../errors';
import { digestOf } from '../digest';
import {
  isManifestMediaType,
  manifestChildren,
  MAX_MANIFEST_BYTES,
  parseManifest,
  type Descriptor,
} from '../manifest';

/** The hint of a manifest over MAX_MANIFEST_BYTES: the bound is distribution-spec's, not a setting. */
export const MANIFEST_LIMIT_HINT =
  'distribution-spec registries accept manifests of 4 MiB; kimg refuses larger ones (a fixed bound, as skopeo has)';

/** Where the walk finds blob bytes: blobs/ for prune, blobs/ ∪ the transaction's staged blobs for commit. */
export interface BlobLookup {
  has(digest: string): Promise<boolean>;
  read(digest: string): Promise<Buffer>;
}

/**
 * A descriptor whose blob may legitimately be absent: image-spec layer.md lets non-distributable layers (Docker
 * "foreign" layers) be fetched from `urls` instead, and skopeo/containerd do not always copy them.
 */
export function isExternalBlob(desc: Descriptor): boolean {
  return (desc.urls?.length ?? 0) > 0 && /nondistributable|foreign/.test(desc.mediaType);
}

export interface WalkOptions {
  /** Called for a blob that is not there; throw to stop the walk. Defaults to ignoring it. */
  onMissing?: (desc: Descriptor) => void;
}

/**
 * Visits every descriptor reachable from `roots` (manifests and indexes are parsed with parseManifest and their
 * children followed; any other media type is a leaf, so artifacts of unknown types are kept, never walked).
 * Returns the digests that are present. A manifest that cannot be parsed throws: prune must not guess which
 * blobs it needs, and commit must not publish it.
 */
export async function walkGraph(
  roots: Descriptor[],
  blobs: BlobLookup,
  options: WalkOptions = {},
): Promise<Set<string>> {
  const seen = new Set<string>();
  const present = new Set<string>();
  const pending = [...roots];
  for (let desc = pending.pop(); desc; desc = pending.pop()) {
    if (seen.has(desc.digest)) continue;
    seen.add(desc.digest);
    if (!(await blobs.has(desc.digest))) {
      if (!isExternalBlob(desc)) options.onMissing?.(desc);
      continue;
    }
    present.add(desc.digest);
    if (!isManifestMediaType(desc.mediaType)) continue;
    pending.push(
      ...manifestChildren(
        parseManifest(await readManifest(desc, blobs), desc.mediaType, `manifest ${desc.digest}`),
      ),
    );
  }
  return present;
}

async function readManifest(desc: Descriptor, blobs: BlobLookup): Promise<Buffer> {
  if (desc.size > MAX_MANIFEST_BYTES) {
    throw new KimgError(
      'SIZE_LIMIT',
      `manifest ${desc.digest} is ${desc.size} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`,
      MANIFEST_LIMIT_HINT,
    );
  }
  const bytes = await blobs.read(desc.digest);
  // Blobs were verified when written, but a layout other tools also write to may hold a damaged file.
  if (
    bytes.length !== desc.size ||
    digestOf(bytes, desc.digest.startsWith('sha512:') ? 'sha512' : 'sha256') !== desc.digest
  ) {
    throw new KimgError(
      'DIGEST_MISMATCH',
      `blob ${desc.digest} does not match its digest or size`,
      'the store is damaged; remove the image (kimg rmi) and pull it again',
    );
  }
  return bytes;
}
