import { constants } from 'node:fs';
import { chmod, lchown, link, lstat, mkdir, open, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Header } from 'tar-stream';
import { KimgError } from '../errors';
import { memberParts, shown } from './member-name';
import { parentInside } from './scoped-path';
import type { OwnershipPolicy } from './ownership';
import { isSpecial, makeSpecialFile } from './special-file';
import { writeSparse } from './sparse-write';

/** Created, never opened through an existing name: O_EXCL fails on any existing entry, a symlink included. */
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

export interface EntryTarget {
  root: string;
  /** The member's components below root (non-empty). */
  parts: readonly string[];
  what: string;
  specialFiles: 'skip' | 'create';
  /**
   * Parents already resolved in this call (member dir → real dir below root): most members of a layer share a
   * few directories, and resolving costs an lstat per component. Cleared whenever the tree's shape may change
   * (a symlink made, a directory or link replaced, a whiteout applied), so a cached answer is never stale.
   */
  parents: Map<string, string>;
  /** Owners and setuid/setgid bits (ownership.ts). */
  policy: OwnershipPolicy;
}

/** What happened to one member: where it went, or that it was skipped (a special file not asked for). */
export type Written = { path: string } | { skipped: string };

/**
 * Writes one member below `root`. The last component is replaced, never followed (an existing symlink, file or
 * directory of another type goes first); directories get their mode with owner rwx added, so a tree an
 * unprivileged process unpacked can always be walked and removed again.
 */
export async function writeEntry(target: EntryTarget, header: Header, content: Readable): Promise<Written> {
  const { root, parts, what } = target;
  const name = parts.join('/');
  const key = parts.slice(0, -1).join('/');
  const parent = target.parents.get(key) ?? (await parentInside(root, parts, true, what)) ?? root;
  target.parents.set(key, parent);
  const path = join(parent, parts[parts.length - 1] ?? '');
  const existing = await lstat(path).catch(() => undefined);
  if (existing?.isDirectory() || existing?.isSymbolicLink() || header.type === 'symlink')
    target.parents.clear();
  const mode = target.policy.modeOf((header.mode ?? 0o644) & 0o7777);
  // chown before chmod: Linux clears setuid/setgid on a chown, even root's (chown(2)).
  const owner = target.policy.ownerOf({ uid: header.uid ?? 0, gid: header.gid ?? 0 });
  const own = async () => {
    if (owner) await lchown(path, owner.uid, owner.gid);
  };
  if (header.type === 'directory') {
    if (existing && !existing.isDirectory()) await rm(path, { recursive: true, force: true });
    if (!existing?.isDirectory()) await mkdir(path, { mode: 0o700 });
    await own();
    await chmod(path, mode | 0o700);
    return { path };
  }
  if (header.type === 'link') {
    const source = await linkSource(target, header.linkname ?? '');
    if (source === path) return { path };
    if (existing) await rm(path, { recursive: true, force: true });
    await link(source, path);
    return { path };
  }
  if (isSpecial(header.type) && target.specialFiles === 'skip') return { skipped: name };
  if (existing) await rm(path, { recursive: true, force: true });
  switch (header.type) {
    case 'file':
    case 'contiguous-file': {
      // Readable.from: the content is a streamx stream, whose errors (a truncated tar) a plain for-await misses.
      const file = await open(path, CREATE_FLAGS, mode);
      try {
        await writeSparse(Readable.from(content), file);
      } finally {
        await file.close();
      }
      await own();
      await chmod(path, mode);
      return { path };
    }
    case 'symlink':
      await symlink(header.linkname ?? '', path);
      await own();
      return { path };
    case 'character-device':
    case 'block-device':
    case 'fifo':
      await makeSpecialFile(path, header, name, what);
      await own();
      return { path };
    default:
      return { skipped: name }; // a type this tar reader knows but a file system does not hold
  }
}

/**
 * A hard link's source: another member, by its name in the archive (resolved inside the target like any
 * member), which must exist and not be a directory. A link can never reach a host file: link(2) needs the
 * source's path, and every path we give it is below `root`.
 */
async function linkSource(target: EntryTarget, linkname: string): Promise<string> {
  const parts = memberParts(linkname, target.what);
  const parent = parts.length > 0 ? await parentInside(target.root, parts, false, target.what) : undefined;
  const source = parent !== undefined ? join(parent, parts[parts.length - 1] ?? '') : undefined;
  const stats = source !== undefined ? await lstat(source).catch(() => undefined) : undefined;
  if (source === undefined || !stats || stats.isDirectory()) {
    throw new KimgError(
      'ARCHIVE_INVALID',
      `${target.what}: member ${shown(target.parts.join('/'))} is a hard link to ${shown(linkname)}, which is not a file unpacked before it`,
      'the archive is malformed or malicious',
    );
  }
  return source;
}
