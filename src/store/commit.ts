import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { KimgError } from '../errors';
import { assertWritableInside } from '../fs';
import type { Descriptor } from '../manifest';
import { fsyncDir, pathExists } from '../fs/atomic-file';
import { walkGraph, type BlobLookup } from './graph';
import { applyRoots } from './index-edits';
import type { Ingest } from './ingest';
import { readManifestFile } from './blob-file';
import { ensureLayout } from './layout-file';
import type { OciLayout } from './oci-layout';

/** A root the transaction will record: named (a tag) or untagged (an image kept by digest). */
export interface PendingRoot {
  name?: string;
  desc: Descriptor;
  /** Index children deliberately absent (a sparse index): not an error when missing. */
  omitted?: ReadonlySet<string>;
}

/**
 * Publishes a transaction, under the layout lock:
 *   1. check that the whole graph of every root (tagged or untagged) is in blobs/ ∪ staged (else BLOB_UNKNOWN and
 *      nothing changes: no blob moved, index.json untouched);
 *   2. rename staged blobs into blobs/ (they were fsynced when staged; a blob already there is skipped —
 *      content addressing makes the two files identical). Blobs the transaction reused are staged as links
 *      (Ingest.pin), so one a concurrent prune deleted since is put back here;
 *   3. apply the tags to a fresh read of index.json and replace it atomically (OciLayout.update).
 * A SIGKILL between 2 and 3 leaves unreferenced blobs, which prune removes; never an entry without its blobs.
 */
export async function commitTransaction(
  layout: OciLayout,
  ingest: Ingest,
  roots: readonly PendingRoot[],
  signal?: AbortSignal,
): Promise<void> {
  if (ingest.blobs.size === 0 && roots.length === 0) return;
  signal?.throwIfAborted();
  const paths = layout.paths;
  const lookup: BlobLookup = {
    has: async (digest) => ingest.blobs.has(digest) || pathExists(paths.blob(digest)),
    read: (digest) =>
      readManifestFile(
        ingest.stagedPath(digest) ?? paths.blob(digest),
        digest,
        paths.root,
        layout.description,
      ),
  };
  await layout.update(async (index, assertHeld) => {
    // An image with 10,000 names is one graph: walk each (root, omitted children) once, not once per name.
    const walked = new Map<string, Set<ReadonlySet<string> | undefined>>();
    for (const { name, desc, omitted } of roots) {
      const seen = walked.get(desc.digest) ?? new Set();
      if (seen.has(omitted)) continue;
      walked.set(desc.digest, seen.add(omitted));
      await walkGraph([desc], lookup, {
        onMissing: (missing) =>
          omitted?.has(missing.digest)
            ? undefined
            : throwMissing(missing, name ?? desc.digest, layout.description),
      });
    }
    signal?.throwIfAborted();
    assertHeld();
    await ensureLayout(paths);
    const touched = new Set<string>();
    for (const [digest, staged] of ingest.blobs) {
      const target = paths.blob(digest);
      if (await pathExists(target)) continue;
      await assertWritableInside(paths.root, target, layout.description);
      await fs.mkdir(dirname(target), { recursive: true });
      await fs.rename(staged, target);
      touched.add(dirname(target));
    }
    for (const dir of touched) await fsyncDir(dir);
    return { index: applyRoots(index, roots), result: undefined };
  });
}

function throwMissing(missing: Descriptor, name: string, where: string): never {
  throw new KimgError(
    'BLOB_UNKNOWN',
    `cannot commit ${name} to ${where}: blob ${missing.digest} (${missing.mediaType}, ${missing.size} bytes) is neither in the store nor pushed`,
    'push every blob of the image before tagging it; nothing was changed',
  );
}
