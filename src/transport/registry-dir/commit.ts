import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { assertWritableInside } from '../../fs';
import type { Descriptor } from '../../manifest';
import { fsyncDir, pathExists, type Ingest } from '../../store';
import { walkImage, type ImageGraph } from './graph';
import { writeLink } from './links';
import type { RegistryDirPaths } from './paths';

/** A root the transaction will publish: in `repository`, under `tag` (none for a ref by digest). */
export interface PendingImage {
  repository: string;
  tag?: string;
  desc: Descriptor;
  /** Index children deliberately absent (a sparse index): not walked, not required. */
  omitted?: ReadonlySet<string>;
}

/**
 * Publishes a transaction in the order that keeps the dir servable after a SIGKILL at any point — never a link
 * to a blob that is not there, never a tag to a manifest that is not linked:
 *   1. walk every image's graph over staged ∪ stored blobs (BLOB_UNKNOWN, and nothing changes);
 *   2. rename the staged blobs those graphs use into `blobs/…/data` (fsynced when staged; one already there is
 *      kept — content addressing makes them identical, and repositories share it);
 *   3. per image: `_layers` links for configs and layers, revision links for manifests (children first: the
 *      registry checks an index's children are in the repository), then the tag's index entry and `current` link.
 * Links are one small file each, written with rename(2), so concurrent writers need no lock: the worst case is
 * the last writer's `current` for a tag both wrote, as with two pushes to a real registry.
 */
export async function commitImages(
  paths: RegistryDirPaths,
  ingest: Ingest,
  images: readonly PendingImage[],
  where: string,
  signal?: AbortSignal,
): Promise<void> {
  const locate = (digest: string): string => ingest.stagedPath(digest) ?? paths.blobData(digest);
  const graphs = new Map<string, ImageGraph>();
  for (const { desc, omitted } of images)
    if (!graphs.has(desc.digest))
      graphs.set(desc.digest, await walkImage(desc, locate, where, paths.root, omitted));
  signal?.throwIfAborted();
  // Every folder about to be written must resolve inside the dir (a repository or blobs/ folder that is a
  // symlink elsewhere): checked for all of them before the first rename, so a refusal changes nothing.
  for (const { repository, tag, desc } of images) {
    const graph = graphs.get(desc.digest) as ImageGraph;
    const targets = [
      ...[...graph.blobs, ...graph.manifests].map(({ digest }) => paths.blobData(digest)),
      ...graph.blobs.map(({ digest }) => paths.layerLink(repository, digest)),
      ...graph.manifests.map(({ digest }) => paths.revisionLink(repository, digest)),
      ...(tag === undefined ? [] : [paths.tagCurrentLink(repository, tag)]),
    ];
    for (const target of targets) await assertWritableInside(paths.root, target, where);
  }

  const touched = new Set<string>();
  for (const graph of graphs.values()) {
    for (const { digest } of [...graph.blobs, ...graph.manifests]) {
      const staged = ingest.stagedPath(digest);
      const target = paths.blobData(digest);
      if (staged === undefined || (await pathExists(target))) continue;
      await assertWritableInside(paths.root, target, where);
      await fs.mkdir(dirname(target), { recursive: true });
      await fs.rename(staged, target);
      ingest.forget(digest);
      touched.add(dirname(target));
    }
  }
  for (const dir of touched) await fsyncDir(dir);

  for (const { repository, tag, desc } of images) {
    const graph = graphs.get(desc.digest) as ImageGraph;
    for (const blob of graph.blobs)
      await writeLink(paths.layerLink(repository, blob.digest), blob.digest, paths.root, where);
    for (const manifest of graph.manifests)
      await writeLink(paths.revisionLink(repository, manifest.digest), manifest.digest, paths.root, where);
    if (tag === undefined) continue;
    // tagstore.go Tag: the index entry first, then `current` — the index lists every revision the tag had.
    await writeLink(paths.tagIndexLink(repository, tag, desc.digest), desc.digest, paths.root, where);
    await writeLink(paths.tagCurrentLink(repository, tag), desc.digest, paths.root, where);
  }
}
