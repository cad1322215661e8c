import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { makeDirectory, writeFileAtomic } from '../../fs/atomic-file';

/** Digests remembered per file (least recently used dropped first): ~150 bytes each, so the file stays < 2 MB. */
export const MAX_BLOB_LOCATIONS = 10_000;
/** Repositories remembered per digest and registry, most recent first. */
export const MAX_REPOSITORIES_PER_BLOB = 4;

const FORMAT_VERSION = 1;

interface Entry {
  /** Repositories of the registry known to hold the blob, most recent first. */
  repos: string[];
  /** Last use, ms since the epoch: the eviction order, and how entries of two writers merge. */
  at: number;
}

interface FileShape {
  version: number;
  /** `registry digest` → entry. */
  blobs: Record<string, Entry>;
}

/**
 * Where blobs were last seen on each registry, so a later copy to another repository of that registry can
 * mount them (spec "end-11") instead of uploading them again: skopeo's blob info cache, as one small JSON file
 * under the store's `.kimg/`. Filled whenever a blob is uploaded to, mounted into, found in, or read from a
 * repository; consulted by `RegistryTarget.pushFrom` when the source is not on the destination's registry.
 *
 * It is only a hint. A stale entry costs nothing extra: the registry answers the mount with 202 and an upload
 * session, which the upload then uses (and the entry is forgotten). The file is replaced atomically, merged
 * with what other processes wrote meanwhile, and bounded in size; an unreadable file counts as empty, and a
 * failure to write it never fails a copy.
 */
export class BlobLocations {
  private readonly entries = new Map<string, Entry>();
  /** Keys changed since the last save (forgotten ones have an entry with no repositories). */
  private readonly changed = new Set<string>();
  private saving: Promise<void> | undefined;

  private constructor(readonly file: string) {}

  /** The cache in `file`, shared by every target of the process (source and destination see each other's). */
  static open(file: string): Promise<BlobLocations> {
    let opened = instances.get(file);
    if (!opened) {
      opened = BlobLocations.load(file);
      instances.set(file, opened);
    }
    return opened;
  }

  /** A new instance read from `file` (missing or unreadable: empty). */
  static async load(file: string): Promise<BlobLocations> {
    const cache = new BlobLocations(file);
    for (const [key, entry] of await readEntries(file)) cache.entries.set(key, entry);
    return cache;
  }

  /** Repositories of `registry` that held `digest`, most recent first. */
  candidates(registry: string, digest: string): string[] {
    return [...(this.entries.get(keyOf(registry, digest))?.repos ?? [])];
  }

  record(registry: string, digest: string, repository: string): void {
    const key = keyOf(registry, digest);
    const entry = this.entries.get(key);
    if (entry?.repos[0] === repository) {
      // Already the most recent: only the time moves (saved with the next real change).
      entry.at = Date.now();
      return;
    }
    const repos = entry?.repos ?? [];
    const next = [repository, ...repos.filter((repo) => repo !== repository)].slice(
      0,
      MAX_REPOSITORIES_PER_BLOB,
    );
    this.entries.delete(key); // re-inserted last: Map order is the LRU order
    this.entries.set(key, { repos: next, at: Date.now() });
    this.changed.add(key);
  }

  /** The registry said `repository` does not have `digest` (a mount answered 202). */
  forget(registry: string, digest: string, repository: string): void {
    const key = keyOf(registry, digest);
    const entry = this.entries.get(key);
    if (!entry?.repos.includes(repository)) return;
    entry.repos = entry.repos.filter((repo) => repo !== repository);
    entry.at = Date.now();
    this.changed.add(key);
  }

  /**
   * Writes the changes, merged over the file as it is now (another process may have saved since we read it):
   * for each changed key ours wins, everything else is kept, then the oldest entries beyond the bound go.
   * Best effort: a read-only or missing store leaves the cache in memory only.
   */
  save(): Promise<void> {
    const previous = this.saving ?? Promise.resolve();
    const next = previous.then(() => this.write());
    this.saving = next;
    return next;
  }

  private async write(): Promise<void> {
    if (this.changed.size === 0) return;
    const mine = [...this.changed].map((key) => [key, this.entries.get(key)] as const);
    this.changed.clear();
    try {
      const merged = new Map(await readEntries(this.file));
      for (const [key, entry] of mine) {
        merged.delete(key);
        if (entry && entry.repos.length > 0) merged.set(key, { repos: [...entry.repos], at: entry.at });
      }
      const kept = [...merged].sort((a, b) => a[1].at - b[1].at).slice(-MAX_BLOB_LOCATIONS);
      const shape: FileShape = { version: FORMAT_VERSION, blobs: Object.fromEntries(kept) };
      await makeDirectory(dirname(this.file));
      await writeFileAtomic(this.file, JSON.stringify(shape));
    } catch {
      // A cache: losing it costs uploads, never correctness.
    }
  }
}

const instances = new Map<string, Promise<BlobLocations>>();

function keyOf(registry: string, digest: string): string {
  return `${registry} ${digest}`;
}

async function readEntries(file: string): Promise<[string, Entry][]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return [];
  }
  try {
    const parsed = JSON.parse(text) as Partial<FileShape>;
    if (parsed.version !== FORMAT_VERSION || typeof parsed.blobs !== 'object' || parsed.blobs === null)
      return [];
    const out: [string, Entry][] = [];
    for (const [key, value] of Object.entries(parsed.blobs)) {
      const repos = (value as Partial<Entry>)?.repos;
      const at = (value as Partial<Entry>)?.at;
      if (!Array.isArray(repos) || typeof at !== 'number') continue;
      const valid = repos.filter((repo): repo is string => typeof repo === 'string' && repo.length > 0);
      if (valid.length > 0) out.push([key, { repos: valid.slice(0, MAX_REPOSITORIES_PER_BLOB), at }]);
    }
    // Oldest first, as `record` keeps the in-memory order.
    return out.sort((a, b) => a[1].at - b[1].at).slice(-MAX_BLOB_LOCATIONS);
  } catch {
    return [];
  }
}
