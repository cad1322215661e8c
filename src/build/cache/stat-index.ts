import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContextEntry } from '../context/context-walk';
import type { CopyKeyIndex } from '../context/copy-key-index';

/** Beside the step cache: `<store>/.kimg/build-cache/contexts/<sha256 of the context path>.json`. */
export const STAT_INDEX_DIR = 'contexts';

/**
 * A file modified (mtime) this close before the walk that stat'ed it (or later) is "racy": it is used for this build
 * (its bytes were read) but the COPY that read it is not remembered, so the next build reads it again. Why: file times come from the
 * kernel's coarse clock and may be truncated by the file system (to the second on some), so a write in the same
 * tick as our stat — after we read the file — can leave every stat field as it was. Git has the same rule
 * (Documentation/technical/racy-git.txt: an entry whose mtime is not older than the index file is re-checked);
 * git stats, hashes and writes its index in one moment, so it compares with the index's mtime, while kimg
 * hashes at the start of a build and writes the index at its end, so it compares with the walk's start, less
 * two seconds for clocks and file systems with one- or two-second times.
 */
export const RACY_MARGIN_MS = 2000;

const VERSION = 2;

/** COPYs remembered per context (the oldest recorded are dropped first): enough for any real Kubefile set. */
export const MAX_REMEMBERED_COPIES = 4096;

interface IndexFile {
  version: number;
  root: string;
  /** COPY identity → [digest of its source files' stamps, content key]. */
  copies: Record<string, [string, string]>;
}

/**
 * The stat index (issue 13): what BuildKit's content-hash cache and git's index keep, per COPY. For each COPY
 * built from this context — its identity: sources, destination, flags, owner, the byte-affecting settings —
 * the stamps of its source files (device, inode, size, mode, owner, mtime and ctime in ns: context-walk.ts)
 * and the content key it had: the diff ID of its layer. A rebuild whose files all have the stamps they had
 * keys the COPY without reading a byte. If any stamp differs the key is unknown, and the COPY's tar is made
 * and hashed again (the files read once, nothing compressed) before the cache is looked up; content changed
 * with size and mtime put back still changes ctime (which no user call can set), so it is found. A first
 * build reads each file once, in the layer writer, and keys the step on the layer's diff ID: no separate hash
 * of each file. `--no-cache` trusts nothing: every file is read (once, by the layer writer) and the index
 * rewritten. One index per context directory per store; a missing or unreadable index is an empty one.
 */
export class StatIndex implements CopyKeyIndex {
  private changed = false;

  private constructor(
    private readonly file: string,
    private readonly root: string,
    private readonly copies: Map<string, [string, string]>,
    private readonly walkStartedMs: number,
    private readonly trusted: boolean,
  ) {}

  /** `walkStartedMs`: Date.now() taken before the context walk (the racy rule); `trust: false` for --no-cache. */
  static async load(cacheDir: string, root: string, walkStartedMs: number, trust = true): Promise<StatIndex> {
    const name = createHash('sha256').update(root).digest('hex');
    const file = join(cacheDir, STAT_INDEX_DIR, `${name}.json`);
    const copies = new Map<string, [string, string]>();
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as IndexFile;
      if (parsed.version === VERSION && parsed.root === root) {
        for (const [identity, value] of Object.entries(parsed.copies)) {
          if (Array.isArray(value) && typeof value[0] === 'string' && typeof value[1] === 'string') {
            copies.set(identity, [value[0], value[1]]);
          }
        }
      }
    } catch {
      // missing, unreadable or an older format: an empty index, every COPY is keyed by reading it
    }
    return new StatIndex(file, root, copies, walkStartedMs, trust);
  }

  lookup(identity: string, sources: readonly ContextEntry[]): string | undefined {
    if (!this.trusted) return undefined;
    const known = this.copies.get(identity);
    const stamps = known && stampsDigest(sources);
    return known && stamps !== undefined && known[0] === stamps ? known[1] : undefined;
  }

  record(identity: string, sources: readonly ContextEntry[], key: string): void {
    const racy = sources.some(
      (entry) => entry.type === 'file' && (entry.mtimeMs ?? Infinity) >= this.walkStartedMs - RACY_MARGIN_MS,
    );
    const stamps = racy ? undefined : stampsDigest(sources);
    if (stamps === undefined) {
      this.changed ||= this.copies.delete(identity);
      return;
    }
    const known = this.copies.get(identity);
    if (known && known[0] === stamps && known[1] === key) return;
    this.copies.delete(identity); // re-inserted last: the newest is dropped last
    this.copies.set(identity, [stamps, key]);
    this.changed = true;
  }

  /** It learned something since it was loaded or saved. */
  get dirty(): boolean {
    return this.changed;
  }

  /** Writes the index when it learned something (temp file + rename; `tempDir` on the same file system). */
  async save(tempDir?: string): Promise<void> {
    if (!this.changed) return;
    const kept = [...this.copies].slice(-MAX_REMEMBERED_COPIES);
    await mkdir(join(this.file, '..'), { recursive: true });
    const temp = join(tempDir ?? join(this.file, '..'), `stat-index-${randomBytes(4).toString('hex')}.tmp`);
    try {
      const copies = Object.fromEntries(kept);
      await writeFile(
        temp,
        JSON.stringify({ version: VERSION, root: this.root, copies } satisfies IndexFile),
      );
      await rename(temp, this.file);
      this.changed = false;
    } catch {
      await rm(temp, { force: true }); // an index that cannot be written costs speed, never the build
    }
  }
}

/** The stamps of a COPY's source files, in its order; undefined if a file has none (nothing to vouch with). */
function stampsDigest(sources: readonly ContextEntry[]): string | undefined {
  const hash = createHash('sha256');
  for (const entry of sources) {
    if (entry.type !== 'file') continue;
    if (entry.stamp === undefined) return undefined;
    hash.update(`${JSON.stringify(entry.path)} ${entry.stamp}\n`);
  }
  return hash.digest('hex');
}
