import type { BigIntStats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { KimgError } from '../../errors';
import { sortKey } from '../../layer/layer-entry';
import type { IgnoreRules } from './ignore-file';

/** One path of the build context as the single walk saw it (lstat: links are never followed). */
export interface ContextEntry {
  /** Relative to the context root, `/`-separated; `''` is the root itself. */
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  /** Permission bits (`0o7777`). */
  mode: number;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** Symlinks: the target as stored in the link. */
  linkTarget?: string;
  /** Files with several names: `dev:ino`, so a layer can write the others as hardlinks. */
  linkKey?: string;
  /** Directories: index just past the last descendant in the walk's list (a pre-order subtree is contiguous). */
  end: number;
  /**
   * Files: what git's index compares to decide a file is unchanged without reading it — device, inode, size,
   * mode, owner, mtime and ctime in nanoseconds (copy-key-index.ts, build/cache/stat-index.ts).
   */
  stamp?: string;
  /** Files: mtime in milliseconds (the stat index's racy rule). */
  mtimeMs?: number;
}

/**
 * Walks the context once: readdir, names sorted bytewise (the layer order, see orderLayerEntries), lstat of
 * each, readlink of links. Excluded directories are not entered unless a `!` line may re-include something
 * below them; excluded paths are not listed. The result is a pre-order list, so a directory's contents are the
 * entries right after it, up to its `end`.
 */
export async function walkContext(root: string, rules: IgnoreRules): Promise<ContextEntry[]> {
  const rootStats = await statOrFail(root, '');
  if (!rootStats.isDirectory()) {
    throw new KimgError('INVALID_ARGUMENT', `build context ${root} is not a directory`);
  }
  const entries = [toEntry('', rootStats), ...(await walkDirectory(root, '', rules))];
  assignEnds(entries);
  return entries;
}

async function walkDirectory(root: string, dir: string, rules: IgnoreRules): Promise<ContextEntry[]> {
  let names: string[];
  try {
    names = await readdir(join(root, dir));
  } catch (err) {
    throw unreadable(root, dir, err);
  }
  names.sort((a, b) => Buffer.compare(sortKey(a), sortKey(b)));
  const subtrees = await Promise.all(
    names.map(async (name) => {
      const path = dir === '' ? name : `${dir}/${name}`;
      const excluded = rules.excludes(path);
      const stats = await statOrFail(root, path);
      if (excluded && !(stats.isDirectory() && rules.mayReincludeBelow(path))) return [];
      const entry = toEntry(path, stats);
      if (entry.type === 'symlink') entry.linkTarget = await readlink(join(root, path));
      const below = entry.type === 'directory' ? await walkDirectory(root, path, rules) : [];
      return excluded ? below : [entry, ...below];
    }),
  );
  return subtrees.flat();
}

function toEntry(path: string, stats: BigIntStats): ContextEntry {
  const type = stats.isFile()
    ? 'file'
    : stats.isDirectory()
      ? 'directory'
      : stats.isSymbolicLink()
        ? 'symlink'
        : 'other';
  const { dev, ino, size, mode, uid, gid, mtimeNs, ctimeNs } = stats;
  return {
    path,
    type,
    mode: Number(mode) & 0o7777,
    size: type === 'file' ? Number(size) : 0,
    mtime: Number(mtimeNs / 1_000_000_000n),
    ...(type === 'file' && stats.nlink > 1n ? { linkKey: `${dev}:${ino}` } : {}),
    end: 0,
    ...(type === 'file' && {
      stamp: `${dev}:${ino}:${size}:${mode}:${uid}:${gid}:${mtimeNs}:${ctimeNs}`,
      mtimeMs: Number(mtimeNs / 1_000_000n),
    }),
  };
}

/** Sets each directory's `end`: the first later entry that is not below it. */
function assignEnds(entries: ContextEntry[]): void {
  const open: ContextEntry[] = [];
  entries.forEach((entry, index) => {
    while (open.length > 0 && !isBelow(entry.path, (open[open.length - 1] as ContextEntry).path)) {
      (open.pop() as ContextEntry).end = index;
    }
    entry.end = index + 1;
    if (entry.type === 'directory') open.push(entry);
  });
  for (const entry of open) entry.end = entries.length;
}

export function isBelow(path: string, dir: string): boolean {
  return dir === '' ? path !== '' : path.startsWith(`${dir}/`);
}

async function statOrFail(root: string, path: string): Promise<BigIntStats> {
  try {
    return await lstat(join(root, path), { bigint: true });
  } catch (err) {
    throw unreadable(root, path, err);
  }
}

function unreadable(root: string, path: string, err: unknown): KimgError {
  return new KimgError(
    'IO_ERROR',
    `cannot read ${path === '' ? root : `${path} in the build context ${root}`}: ${(err as Error).message}`,
    path === '' ? undefined : 'make it readable, or exclude it in .kubefileignore / .dockerignore',
    { cause: err },
  );
}
