import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The few file operations that make a SIGKILL harmless: write to a temp file in the same directory, fsync it,
 * rename it over the target (rename is atomic on POSIX), fsync the directory so the rename itself is durable.
 * A reader sees the old file or the new one, never a half-written one.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temp = tempNameFor(path);
  await writeSynced(temp, data);
  try {
    await fs.rename(temp, path);
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw err;
  }
  await fsyncDir(dirname(path));
}

/**
 * Creates `path` with `data` only if it does not exist, atomically: link(2) fails with EEXIST instead of
 * replacing, so two processes creating the same layout at once cannot clobber each other.
 */
export async function createFileIfAbsent(path: string, data: string | Uint8Array): Promise<void> {
  if (await pathExists(path)) return;
  const temp = tempNameFor(path);
  await writeSynced(temp, data);
  try {
    await fs.link(temp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await fs.rm(temp, { force: true });
  }
  await fsyncDir(dirname(path));
}

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } catch (err) {
    // Some filesystems (and Windows) refuse fsync on directories; the rename is still atomic there.
    if (!['EINVAL', 'EPERM', 'EISDIR', 'ENOTSUP'].includes((err as NodeJS.ErrnoException).code ?? ''))
      throw err;
  } finally {
    await handle.close();
  }
}

export async function pathExists(path: string): Promise<boolean> {
  try {
    await fs.lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** Temp files start with the target's name so prune can recognise leftovers of a killed writer. */
export const TEMP_MARKER = '.tmp-';

function tempNameFor(path: string): string {
  return `${path}${TEMP_MARKER}${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** The pid of the process that made temp file `name` (see tempNameFor), or undefined for any other name. */
export function tempFileWriter(name: string): number | undefined {
  const match = /\.tmp-(\d+)-[0-9a-f]+$/.exec(name);
  return match && name.includes(TEMP_MARKER) ? Number(match[1]) : undefined;
}

async function writeSynced(path: string, data: string | Uint8Array): Promise<void> {
  const handle = await fs.open(path, 'wx', 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * `mkdir -p` that reports the real cause: node's recursive mkdir answers ENOENT on a read-only file system
 * (it cannot tell which ancestor failed), so on ENOENT we retry one level at a time from the deepest existing
 * ancestor, which surfaces EROFS / EACCES with the path that refused.
 */
export async function makeDirectory(path: string): Promise<void> {
  try {
    await fs.mkdir(path, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const missing: string[] = [];
    let current = path;
    while (!(await pathExists(current))) {
      missing.unshift(current);
      const parent = dirname(current);
      if (parent === current) break;
      current = parent;
    }
    for (const dir of missing) await fs.mkdir(dir);
    throw err;
  }
}
