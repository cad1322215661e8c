import { appendFile, promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { makeDirectory, writeFileAtomic } from '../../fs/atomic-file';

/**
 * Digests remembered per file (least recently used dropped first): ~150 bytes each, so the file stays < 8 MB.
 * A mirror of a few thousand images of ~10 layers each fits (issue 12); 10k did not.
 */
export const MAX_BLOB_LOCATIONS = 50_000;
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
  /** Batch runs holding the file: `save` then only appends to the journal; the last `release` rewrites it. */
  private holds = 0;
  /** The journal's folder was made by this process: the appends of a run skip the mkdir (one per image). */
  private journalFolderMade = false;

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
   * A batch run (many images, many targets) holds the cache: the file is rewritten once, at the last `release`,
   * instead of once per image. Meanwhile each `save` appends its changes to `FILE.journal`, a few lines per
   * image, so a run killed with SIGKILL leaves what it learnt for the rerun (which then mounts blobs the killed
   * run uploaded instead of sending them again); `load` reads the journal over the file.
   */
  hold(): () => Promise<void> {
    this.holds++;
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      this.holds--;
      if (this.holds === 0) await this.save();
    };
  }

  /**
   * Writes the changes, merged over the file as it is now (another process may have saved since we read it):
   * for each changed key ours wins, everything else is kept, then the oldest entries beyond the bound go.
   * Best effort: a read-only or missing store leaves the cache in memory only.
   */
  save(): Promise<void> {
    const previous = this.saving ?? Promise.resolve();
    const held = this.holds > 0;
    const next = previous.then(() => (held ? this.journal() : this.write()));
    this.saving = next;
    // Held by a batch run: the append goes on in the background and the last `release` waits for it (its `write`
    // is chained after it). Waiting here kept each image's worker from starting the next image for one or two
    // appends (2–26 ms each on 2 busy cores, --debug timeline of a 20-image sync); a run killed meanwhile loses
    // those lines, as one killed just before the append would: the journal is a hint, never correctness.
    return held ? Promise.resolve() : next;
  }

  /** Appends the changes since the last save as JSON lines (`[key, entry]`; an entry without repositories forgets). */
  private async journal(): Promise<void> {
    if (this.changed.size === 0) return;
    const lines = [...this.changed].map((key) => `${JSON.stringify([key, this.entries.get(key)])}\n`);
    this.changed.clear();
    try {
      if (!this.journalFolderMade) await makeDirectory(dirname(this.file));
      this.journalFolderMade = true;
      await new Promise<void>((resolve, reject) =>
        appendFile(journalOf(this.file), lines.join(''), { mode: 0o600 }, (err) =>
          err ? reject(err) : resolve(),
        ),
      );
    } catch {
      // A cache: losing it costs uploads, never correctness.
    }
  }

  private async write(): Promise<void> {
    const journal = journalOf(this.file);
    const journalled = await fileExists(journal);
    if (this.changed.size === 0 && !journalled) return;
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
      // Folded into the file (readEntries read it): a journal line appended since by another run is lost, a hint.
      if (journalled) await fs.rm(journal, { force: true });
    } catch {
      // A cache: losing it costs uploads, never correctness.
    }
  }
}

const instances = new Map<string, Promise<BlobLocations>>();

function journalOf(file: string): string {
  return `${file}.journal`;
}

async function fileExists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}

function keyOf(registry: string, digest: string): string {
  return `${registry} ${digest}`;
}

/** The file's entries with the journal's lines applied over them (a batch run killed before its rewrite). */
async function readEntries(file: string): Promise<[string, Entry][]> {
  const entries = new Map(await readFileEntries(file));
  for (const [key, entry] of await readJournal(journalOf(file))) {
    entries.delete(key);
    if (entry) entries.set(key, entry);
  }
  return [...entries].sort((a, b) => a[1].at - b[1].at).slice(-MAX_BLOB_LOCATIONS);
}

async function readJournal(file: string): Promise<[string, Entry | undefined][]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return [];
  }
  const out: [string, Entry | undefined][] = [];
  for (const line of text.split('\n')) {
    try {
      const [key, value] = JSON.parse(line) as [unknown, unknown];
      if (typeof key !== 'string') continue;
      out.push([key, validEntry(value)]);
    } catch {
      // A line cut short by a kill, or an empty one: skipped.
    }
  }
  return out;
}

function validEntry(value: unknown): Entry | undefined {
  const repos = (value as Partial<Entry> | undefined)?.repos;
  const at = (value as Partial<Entry> | undefined)?.at;
  if (!Array.isArray(repos) || typeof at !== 'number') return undefined;
  const valid = repos.filter((repo): repo is string => typeof repo === 'string' && repo.length > 0);
  return valid.length > 0 ? { repos: valid.slice(0, MAX_REPOSITORIES_PER_BLOB), at } : undefined;
}

async function readFileEntries(file: string): Promise<[string, Entry][]> {
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
      const entry = validEntry(value);
      if (entry) out.push([key, entry]);
    }
    // Oldest first, as `record` keeps the in-memory order.
    return out.sort((a, b) => a[1].at - b[1].at).slice(-MAX_BLOB_LOCATIONS);
  } catch {
    return [];
  }
}
