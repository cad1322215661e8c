import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { removeOnInterrupt } from '../interrupt';
import { OWNER_FILE, type IngestOwner } from './ingest';
import { newIngestDirName } from './ingest-name';
import type { LayoutPaths } from './paths';

/**
 * A command's scratch dir in the store, `.kimg/scratch/<pid>-<host tag>-<random>/`: room for working files that
 * are not blobs of a transaction (a gzipped archive inflated for random access, a build's stage trees and
 * downloads). It lives in the store rather than TMPDIR because the store is where the space is (TMPDIR is often a
 * small tmpfs) and because the store can find it again: SIGINT/SIGTERM remove it (interrupt/), and what SIGKILL
 * leaves is swept by `kimg prune` with the same staleness test as ingest dirs (dead owner pid, or untouched for
 * an hour).
 *
 * A temp file a command must keep beside its output (an archive being written, renamed into place at the end)
 * is recorded with `adopt` before it is created; prune removes a dead scratch's adopted files too, but only those
 * whose name carries TEMP_FILE_MARKER, so a damaged record can never make it delete anything else.
 */
export class Scratch {
  private released = false;

  private constructor(
    readonly dir: string,
    private readonly unregister: () => void,
  ) {}

  static async open(paths: LayoutPaths, purpose: string): Promise<Scratch> {
    const dir = join(paths.scratchDir, newIngestDirName());
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const unregister = removeOnInterrupt(dir);
    const owner: IngestOwner & { purpose: string } = {
      pid: process.pid,
      hostname: hostname(),
      createdAt: new Date().toISOString(),
      purpose,
    };
    await fs.writeFile(join(dir, OWNER_FILE), JSON.stringify(owner));
    return new Scratch(dir, unregister);
  }

  /** A path inside the scratch dir (the caller creates it). */
  path(name: string): string {
    return join(this.dir, name);
  }

  /**
   * Records `file` (outside the scratch dir) as this command's temp file, before the caller creates it, and
   * removes it if the process is interrupted. Returns the function that forgets it (after it was renamed away).
   */
  async adopt(file: string): Promise<() => void> {
    if (!basename(file).includes(TEMP_FILE_MARKER))
      throw new Error(`scratch: adopted temp file ${file} must carry ${TEMP_FILE_MARKER} in its name`);
    await fs.appendFile(join(this.dir, ADOPTED_FILE), `${file}\n`);
    return removeOnInterrupt(file);
  }

  /** Removes the dir (and forgets the interrupt cleanup). Safe to call twice. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.unregister();
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}

/** Names of temp files kimg keeps outside the store (`FILE.kimg-tmp-<pid>`); the only ones prune may adopt. */
export const TEMP_FILE_MARKER = '.kimg-tmp-';

/** One absolute path per line: temp files outside the scratch dir that belong to its owner. */
export const ADOPTED_FILE = 'adopted';

/** Removes a dead scratch dir's adopted temp files (only names carrying TEMP_FILE_MARKER), then the dir. */
export async function removeScratchDir(dir: string): Promise<void> {
  const adopted = await fs.readFile(join(dir, ADOPTED_FILE), 'utf8').catch(() => '');
  for (const file of adopted.split('\n')) {
    if (file.startsWith('/') && basename(file).includes(TEMP_FILE_MARKER)) await fs.rm(file, { force: true });
  }
  await fs.rm(dir, { recursive: true, force: true });
}
