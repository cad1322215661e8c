import { digestOf } from '../../digest';
import type { ArchiveMembers } from '../archive/archive-members';
import {
  imageIndexSchema,
  isIndexMediaType,
  isManifestMediaType,
  MAX_MANIFEST_BYTES,
  MAX_METADATA_BYTES,
  parseManifest,
  type Descriptor,
  type ImageManifest,
} from '../../manifest';
import { blobPath, OCI_INDEX_FILE, parseJsonFile } from '../archive/layout-files';

export interface StoredManifest {
  descriptor: Descriptor;
  bytes: Buffer;
  manifest: ImageManifest;
}

/**
 * Docker ≥ 25 saves an OCI layout beside manifest.json (moby#44598): index.json → (index →) image manifests.
 * Their bytes are the image's real manifest, whose digest a registry knows; when one matches a manifest.json
 * entry we serve it instead of synthesizing. Unreadable or inconsistent entries are skipped, not fatal: the
 * archive is still a valid docker-archive without them.
 */
export async function readStoredManifests(tar: ArchiveMembers): Promise<StoredManifest[]> {
  if (!tar.has(OCI_INDEX_FILE)) return [];
  const found: StoredManifest[] = [];
  const visit = async (descriptors: Descriptor[], depth: number): Promise<void> => {
    for (const descriptor of descriptors) {
      if (!isManifestMediaType(descriptor.mediaType) || descriptor.size > MAX_MANIFEST_BYTES) continue;
      const member = blobPath(descriptor.digest);
      if (!tar.has(member)) continue;
      const bytes = await tar.readEntry(member, MAX_MANIFEST_BYTES);
      if (
        digestOf(bytes, descriptor.digest.startsWith('sha512:') ? 'sha512' : 'sha256') !== descriptor.digest
      )
        continue;
      try {
        const parsed = parseManifest(bytes, descriptor.mediaType, member);
        if (parsed.kind === 'manifest') {
          found.push({
            descriptor: { mediaType: parsed.mediaType, digest: descriptor.digest, size: bytes.length },
            bytes,
            manifest: parsed.manifest,
          });
        } else if (depth < 2 && isIndexMediaType(parsed.mediaType)) {
          await visit(parsed.index.manifests, depth + 1);
        }
      } catch {
        continue;
      }
    }
  };
  try {
    const index = imageIndexSchema.safeParse(
      parseJsonFile(await tar.readEntry(OCI_INDEX_FILE, MAX_METADATA_BYTES), `${tar.file}: index.json`),
    );
    if (index.success) await visit(index.data.manifests, 0);
  } catch {
    return found;
  }
  return found;
}

export function matchesLayers(
  manifest: ImageManifest,
  configDigest: string,
  layerDigests: string[],
): boolean {
  return (
    manifest.config.digest === configDigest &&
    manifest.layers.length === layerDigests.length &&
    manifest.layers.every((layer, i) => layer.digest === layerDigests[i])
  );
}
