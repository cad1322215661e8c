import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodedPart } from '../../digest';
import type { Descriptor } from '../../manifest/descriptor';
import type { StatIndex } from './stat-index';

/** Where the cache lives inside a store: beside the ingest dir, so `--root` moves both together. */
export const BUILD_CACHE_DIR = join('.kimg', 'build-cache');

/**
 * What a cached step produced: nothing but config (recomputed, it is pure) or one layer. `download` is not a
 * step: an ADD URL's validators (ETag / Last-Modified) and the digest of the content they stood for.
 */
export interface CacheEntry {
  layer?: { descriptor: Descriptor; diffId: string };
  download?: { digest: string; etag?: string; lastModified?: string };
  /** Not a step either: whether a COPY destination is a directory in a stage (keyed by its diff IDs). */
  directory?: boolean;
  /** Not a step either: a COPY like this one (same instruction and settings) has been built before. */
  seen?: true;
}

/**
 * The build cache: one small JSON file per step key, `<store>/.kimg/build-cache/<hex>.json`. A layer entry is
 * only trusted while the store still holds its blob (`kimg prune` may have removed it): `has` is checked by
 * the executor against the store. Writes are temp file + rename, so a killed build leaves whole entries only;
 * the temp files are made in the build's scratch dir when it gives one (same file system), so what a killed
 * build leaves is swept with it and never sits in the cache dir. Entries are written after the build committed
 * its blobs, so an entry never names a blob that never landed.
 */
export class BuildCache {
  readonly dir: string;
  private readonly pending = new Map<string, CacheEntry>();
  /** What `get` read from disk, as text: a rebuild puts back what it found, and that is not written again. */
  private readonly onDisk = new Map<string, string>();
  private readonly indexes: StatIndex[] = [];

  constructor(storeRoot: string) {
    this.dir = join(storeRoot, BUILD_CACHE_DIR);
  }

  async get(key: string): Promise<CacheEntry | undefined> {
    const staged = this.pending.get(key);
    if (staged) return staged;
    try {
      const text = await readFile(this.path(key), 'utf8');
      const entry = JSON.parse(text) as CacheEntry;
      if (typeof entry !== 'object' || entry === null) return undefined;
      this.onDisk.set(key, text);
      return entry;
    } catch {
      return undefined; // missing or unreadable: a miss, the step is simply run again
    }
  }

  /** Remembers an entry for this build; `flush` writes them once the build's blobs are committed. */
  put(key: string, entry: CacheEntry): void {
    this.pending.set(key, entry);
  }

  /** A context's stat index, saved with the entries (after the commit). */
  track(index: StatIndex): void {
    this.indexes.push(index);
  }

  /**
   * Writes the pending entries that differ from what is on disk, and the stat indexes that learned something;
   * temp files go to `scratch()` (a scratch dir in the store, made only when something is written), else beside
   * them. A rebuild that changed nothing writes nothing.
   */
  async flush(scratch?: () => Promise<string>): Promise<void> {
    const writes = [...this.pending]
      .map(([key, entry]) => ({ key, text: JSON.stringify(entry) }))
      .filter(({ key, text }) => this.onDisk.get(key) !== text);
    this.pending.clear();
    const indexes = this.indexes.filter((index) => index.dirty);
    if (writes.length === 0 && indexes.length === 0) return;
    await mkdir(this.dir, { recursive: true });
    const tempDir = await scratch?.();
    for (const index of indexes) await index.save(tempDir);
    for (const { key, text } of writes) {
      const temp = tempDir
        ? join(tempDir, `${encodedPart(key)}.json`)
        : `${this.path(key)}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        await writeFile(temp, text);
        await rename(temp, this.path(key));
        this.onDisk.set(key, text);
      } catch {
        await rm(temp, { force: true }); // a cache that cannot be written costs speed, never the build
      }
    }
  }

  private path(key: string): string {
    return join(this.dir, `${encodedPart(key)}.json`);
  }
}
