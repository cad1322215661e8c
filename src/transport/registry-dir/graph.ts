import { promises as fs } from 'node:fs';
import { KimgError } from '../../errors';
import { isManifestMediaType, manifestChildren, parseManifest, type Descriptor } from '../../manifest';
import { isExternalBlob } from '../../store';
import { readManifestBlob } from './blob-files';

/** An image's graph split the way the registry links it: manifests get revision links, the rest `_layers`. */
export interface ImageGraph {
  /** Children before the indexes that name them. */
  manifests: Descriptor[];
  blobs: Descriptor[];
}

/** Where a blob's bytes are: the transaction's staged file, else the blob store's data file. */
export type BlobLocator = (digest: string) => string;

/**
 * Walks from `root` through indexes and manifests (unknown media types are leaves, so artifacts are linked, not
 * parsed). Every blob must be present (BLOB_UNKNOWN otherwise, before anything is written), except
 * non-distributable layers, which the registry does not need either: clients fetch them from their `urls`, and
 * the `omitted` children of a sparse index (TagOptions.omitted).
 */
export async function walkImage(
  root: Descriptor,
  locate: BlobLocator,
  where: string,
  dir: string,
  omitted: ReadonlySet<string> = new Set(),
): Promise<ImageGraph> {
  const graph: ImageGraph = { manifests: [], blobs: [] };
  // A sparse index's absent children are skipped like blobs already seen; the registry serves the index as it is.
  const seen = new Set<string>(omitted);
  const visit = async (desc: Descriptor): Promise<void> => {
    if (seen.has(desc.digest)) return;
    seen.add(desc.digest);
    const file = locate(desc.digest);
    if (!(await isFile(file))) {
      if (isExternalBlob(desc)) return;
      throw new KimgError(
        'BLOB_UNKNOWN',
        `cannot commit ${root.digest} to ${where}: blob ${desc.digest} (${desc.mediaType}, ${desc.size} bytes) is neither in the registry dir nor pushed`,
        'push every blob of the image before tagging it; nothing was changed',
      );
    }
    if (!isManifestMediaType(desc.mediaType)) {
      graph.blobs.push(desc);
      return;
    }
    const { bytes } = await readManifestBlob(file, desc.digest, where, dir);
    for (const child of manifestChildren(parseManifest(bytes, desc.mediaType, `manifest ${desc.digest}`)))
      await visit(child);
    graph.manifests.push(desc);
  };
  await visit(root);
  return graph;
}

async function isFile(path: string): Promise<boolean> {
  return (await fs.stat(path).catch(() => undefined))?.isFile() ?? false;
}
