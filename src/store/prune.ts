import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { isDigest } from '../digest';
import { pathExists, TEMP_MARKER, tempFileWriter } from '../fs/atomic-file';
import { walkGraph } from './graph';
import { writeIndexFile, type IndexFile } from './index-file';
import { isProcessAlive, isStaleIngest } from './ingest-gc';
import { descriptorOf, removeUntagged } from './index-edits';
import type { LayoutPaths } from './paths';
import { readManifestFile } from './blob-file';
import { removeScratchDir } from './scratch';

export interface PruneOptions {
  /** Also drop untagged ("dangling") index entries first, as `podman image prune` does. Default true. */
  untagged?: boolean;
  /** Ingest dirs untouched this long are leftovers even if their pid looks alive (pid reuse). Default 1 hour. */
  ingestMaxAgeMs?: number;
  now?: Date;
}

export const DEFAULT_INGEST_MAX_AGE_MS = 60 * 60 * 1000;

export interface PruneResult {
  removedBlobs: string[];
  freedBytes: number;
  removedEntries: number;
  removedIngests: number;
  /** Scratch dirs of dead commands (store/scratch.ts), with the temp files they adopted. */
  removedScratch: number;
}

/**
 * Mark-and-sweep, run by OciLayout.prune with the lock held for the whole of it, so a commit cannot add an entry
 * pointing at a blob we are about to delete. Marks start at every index.json entry and follow manifests and
 * indexes (unknown media types are leaves); unreferenced blobs, dead transactions' ingest dirs and temp files of
 * killed writers are removed. The index is rewritten before any blob goes: a crash in between leaves only
 * garbage, never an entry whose blobs are missing.
 */
export async function pruneLayout(
  paths: LayoutPaths,
  index: IndexFile,
  assertHeld: () => void,
  options: PruneOptions = {},
): Promise<PruneResult> {
  const kept = options.untagged === false ? index : removeUntagged(index);
  const removedEntries = index.manifests.length - kept.manifests.length;
  if (removedEntries > 0) await writeIndexFile(paths, kept);

  const marked = await walkGraph(kept.manifests.map(descriptorOf), {
    has: (digest) => pathExists(paths.blob(digest)),
    // Read as what it claims to be (a regular file inside the store, capped): a FIFO planted in blobs/ must not
    // hang prune.
    read: (digest) => readManifestFile(paths.blob(digest), digest, paths.root, 'the store'),
  });
  assertHeld();
  const result: PruneResult = {
    removedBlobs: [],
    freedBytes: 0,
    removedEntries,
    removedIngests: 0,
    removedScratch: 0,
  };
  for (const algorithm of await readDirOrEmpty(paths.blobsDir)) {
    for (const encoded of await readDirOrEmpty(join(paths.blobsDir, algorithm))) {
      const digest = `${algorithm}:${encoded}`;
      // Files that are not named like a digest are not ours (another tool's temp file): leave them.
      if (!isDigest(digest) || marked.has(digest)) continue;
      const file = join(paths.blobsDir, algorithm, encoded);
      const { size } = await fs.stat(file);
      await fs.rm(file, { force: true });
      result.removedBlobs.push(digest);
      result.freedBytes += size;
    }
  }
  // Every index write happens under this lock, so any temp file of ours still here belongs to a dead writer.
  for (const name of await readDirOrEmpty(paths.root)) {
    if ((name.startsWith('index.json') || name.startsWith('oci-layout')) && name.includes(TEMP_MARKER)) {
      await fs.rm(join(paths.root, name), { force: true });
    }
  }
  // Files kimg keeps beside the store (the registry blob-location cache) are written without the store lock, so
  // only a temp file whose writer (the pid in its name) is gone is a leftover.
  for (const name of await readDirOrEmpty(paths.kimgDir)) {
    const writer = tempFileWriter(name);
    if (writer !== undefined && !isProcessAlive(writer))
      await fs.rm(join(paths.kimgDir, name), { force: true });
  }
  Object.assign(result, await sweepLeftovers(paths, options));
  return result;
}

/**
 * Ingest and scratch dirs of dead processes (a dead owner on this host, or an hour without a write), with the
 * temp files a scratch dir adopted. Needs no lock (a live owner's dir is never stale) and no index, so prune also
 * runs it on a store that has no index.json yet (a first load killed before its commit).
 */
export async function sweepLeftovers(
  paths: LayoutPaths,
  options: PruneOptions = {},
): Promise<Pick<PruneResult, 'removedIngests' | 'removedScratch'>> {
  const now = options.now ?? new Date();
  const maxAgeMs = options.ingestMaxAgeMs ?? DEFAULT_INGEST_MAX_AGE_MS;
  const result = { removedIngests: 0, removedScratch: 0 };
  for (const name of await readDirOrEmpty(paths.ingestDir)) {
    const dir = join(paths.ingestDir, name);
    if (await isStaleIngest(dir, now, maxAgeMs)) {
      await fs.rm(dir, { recursive: true, force: true });
      result.removedIngests += 1;
    }
  }
  for (const name of await readDirOrEmpty(paths.scratchDir)) {
    const dir = join(paths.scratchDir, name);
    if (await isStaleIngest(dir, now, maxAgeMs)) {
      await removeScratchDir(dir);
      result.removedScratch += 1;
    }
  }
  // `.kimg/build-tmp/<pid>-<hex>/`: where builds before the scratch space kept their working files.
  const legacyBuildTmp = join(paths.kimgDir, 'build-tmp');
  for (const name of await readDirOrEmpty(legacyBuildTmp)) {
    const pid = Number(/^(\d+)-/.exec(name)?.[1]);
    if (Number.isInteger(pid) && !isProcessAlive(pid)) {
      await fs.rm(join(legacyBuildTmp, name), { recursive: true, force: true });
      result.removedScratch += 1;
    }
  }
  return result;
}

async function readDirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
