import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContextEntry } from '../context/context-walk';
import type { FileDigestIndex } from '../context/source-hash';

/** Beside the step cache: `<store>/.kimg/build-cache/contexts/<sha256 of the context path>.json`. */
export const STAT_INDEX_DIR = 'contexts';

/**
 * A file modified (mtime) this close before the walk that stat'ed it (or later) is "racy": it is used for this build
 * (its bytes were read) but not remembered, so the next build reads it again. Why: file times come from the
 * kernel's coarse clock and may be truncated by the file system (to the second on some), so a write in the same
 * tick as our stat — after we read the file — can leave every stat field as it was. Git has the same rule
 * (Documentation/technical/racy-git.txt: an entry whose mtime is not older than the index file is re-checked);
 * git stats, hashes and writes its index in one moment, so it compares with the index's mtime, while kimg
 * hashes at the start of a build and writes the index at its end, so it compares with the walk's start, less
 * two seconds for clocks and file systems with one- or two-second times.
 */
export const RACY_MARGIN_MS = 2000;

const VERSION = 1;

interface IndexFile {
  version: number;
  root: string;
  /** Context path → [stamp, sha256 hex]. */
  files: Record<string, [string, string]>;
}

/**
 * The stat index (issue 13): what BuildKit's content-hash cache and git's index keep — per context file its stat
 * stamp (device, inode, size, mode, owner, mtime and ctime in ns: context-walk.ts) and content digest — so a
 * rebuild of an unchanged context computes its COPY keys without reading a byte. A file whose stamp differs is
 * read again; content changed with size and mtime put back still changes ctime (which no user call can set), so
 * it is found. `--no-cache` trusts nothing: every file is read (once, by the layer writer) and the index
 * rewritten. One index per context directory per store; a missing or unreadable index is an empty one.
 */
export class StatIndex implements FileDigestIndex {
  private changed = false;
  private live: readonly ContextEntry[] = [];

  private constructor(
    private readonly file: string,
    private readonly root: string,
    private readonly files: Map<string, [string, string]>,
    private readonly walkStartedMs: number,
    private readonly trusted: boolean,
  ) {}

  /** `walkStartedMs`: Date.now() taken before the context walk (the racy rule); `trust: false` for --no-cache. */
  static async load(cacheDir: string, root: string, walkStartedMs: number, trust = true): Promise<StatIndex> {
    const name = createHash('sha256').update(root).digest('hex');
    const file = join(cacheDir, STAT_INDEX_DIR, `${name}.json`);
    const files = new Map<string, [string, string]>();
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as IndexFile;
      if (parsed.version === VERSION && parsed.root === root) {
        for (const [path, value] of Object.entries(parsed.files)) {
          if (Array.isArray(value) && typeof value[0] === 'string' && typeof value[1] === 'string') {
            files.set(path, [value[0], value[1]]);
          }
        }
      }
    } catch {
      // missing or unreadable: an empty index, every file is read
    }
    return new StatIndex(file, root, files, walkStartedMs, trust);
  }

  /** The context's entries as walked now: what `save` keeps entries for. */
  attach(entries: readonly ContextEntry[]): void {
    this.live = entries;
  }

  lookup(entry: ContextEntry): string | undefined {
    if (!this.trusted || entry.stamp === undefined) return undefined;
    const known = this.files.get(entry.path);
    return known && known[0] === entry.stamp ? known[1] : undefined;
  }

  record(entry: ContextEntry, sha256: string): void {
    if (entry.stamp === undefined) return;
    const racy = (entry.mtimeMs ?? Infinity) >= this.walkStartedMs - RACY_MARGIN_MS;
    const known = this.files.get(entry.path);
    if (racy) {
      if (known) this.files.delete(entry.path);
      this.changed ||= known !== undefined;
      return;
    }
    if (known && known[0] === entry.stamp && known[1] === sha256) return;
    this.files.set(entry.path, [entry.stamp, sha256]);
    this.changed = true;
  }

  /** It learned something since it was loaded or saved. */
  get dirty(): boolean {
    return this.changed;
  }

  /** Writes the index when it learned something (temp file + rename; `tempDir` on the same file system). */
  async save(tempDir?: string): Promise<void> {
    if (!this.changed) return;
    const files: IndexFile['files'] = {};
    for (const entry of this.live) {
      const known = entry.stamp === undefined ? undefined : this.files.get(entry.path);
      if (known && known[0] === entry.stamp) files[entry.path] = known;
    }
    await mkdir(join(this.file, '..'), { recursive: true });
    const temp = join(tempDir ?? join(this.file, '..'), `stat-index-${randomBytes(4).toString('hex')}.tmp`);
    try {
      await writeFile(temp, JSON.stringify({ version: VERSION, root: this.root, files } satisfies IndexFile));
      await rename(temp, this.file);
      this.changed = false;
    } catch {
      await rm(temp, { force: true }); // an index that cannot be written costs speed, never the build
    }
  }
}
