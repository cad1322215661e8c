import { lstat, mkdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { KimgError } from '../errors';
import { shown } from './member-name';

/** Linux's MAXSYMLINKS: more links than this in one lookup is a loop (ELOOP). */
const MAX_LINKS = 40;

/**
 * The directory that holds the last of `parts`, resolved as if `root` were `/`: a symlink among the parents is
 * followed, an absolute target restarts at `root` and `..` stops there — the chroot semantics moby gets from
 * chrootarchive and umoci from securejoin. A layer may write through `lib -> usr/lib` (merged /usr images do),
 * and no link, whatever it says, leads a write out of the target. The last component is never followed: the
 * caller replaces it.
 *
 * `create`: missing parents are made (0755, as implied directories are in moby and BuildKit); otherwise a missing
 * or non-directory parent gives undefined (a whiteout of something that is not there is a no-op).
 */
export async function parentInside(
  root: string,
  parts: readonly string[],
  create: boolean,
  what: string,
): Promise<string | undefined> {
  const pending = parts.slice(0, -1);
  const current: string[] = [];
  let links = 0;
  for (let part = pending.shift(); part !== undefined; part = pending.shift()) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      current.pop();
      continue;
    }
    const path = join(root, ...current, part);
    const stats = await lstat(path).catch(() => undefined);
    if (stats?.isSymbolicLink()) {
      links += 1;
      if (links > MAX_LINKS)
        throw new KimgError(
          'ARCHIVE_INVALID',
          `${what}: member ${shown(parts.join('/'))} is reached through more than ${MAX_LINKS} symlinks (a loop)`,
          'the archive is malformed or malicious',
        );
      const target = await readlink(path);
      if (target.startsWith('/')) current.length = 0;
      pending.unshift(...target.split('/'));
      continue;
    }
    if (!stats) {
      if (!create) return undefined;
      await mkdir(path, { mode: 0o755 });
    } else if (!stats.isDirectory()) {
      if (!create) return undefined;
      throw new KimgError(
        'ARCHIVE_INVALID',
        `${what}: member ${shown(parts.join('/'))} is below ${shown([...current, part].join('/'))}, which is not a directory`,
        'the archive is malformed',
      );
    }
    current.push(part);
  }
  return join(root, ...current);
}
