import { lstat, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, sep } from 'node:path';
import { KimgError } from '../errors';

const ESCAPE_HINT =
  'kimg follows a symbolic link only while it stays inside the folder it reads or writes; replace the link with the file itself';

/** Is `path` `root` itself or below it? Both must already be real (symlink-free) absolute paths. */
export function isWithin(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * The real path of `path`, refused unless it lies inside the real path of `root`. skopeo and containers/image
 * open layout files with os.Open, which follows symlinks anywhere: a blob linked to /etc/passwd (with its digest
 * in the manifest) would be copied into an image. We follow links only while they stay inside. Errors of the
 * lookup itself (ENOENT for a missing file or a dangling link, ELOOP for a loop) are passed on unchanged, so
 * callers keep their "absent" handling.
 */
export async function realPathWithin(path: string, root: string, what: string): Promise<string> {
  const [realRoot, real] = await Promise.all([realpath(root), realpath(path)]);
  if (!isWithin(realRoot, real)) {
    throw new KimgError('FILE_REFUSED', `${what}: ${path} leads to ${real}, outside ${root}`, ESCAPE_HINT);
  }
  return real;
}

/**
 * Refuses to write `path` when the folder it goes into leads outside `root`, e.g. `blobs/sha256` a symlink to
 * another folder: mkdir, open and rename(2) follow directory symlinks, so the file would land there. The nearest
 * existing ancestor of `path` is resolved (what does not exist yet we create as real folders); a dangling
 * symlink on the way is refused too. `path` itself may be a symlink: rename(2) replaces it, never writes through.
 */
export async function assertWritableInside(root: string, path: string, what: string): Promise<void> {
  const realRoot = await realpath(root).catch(() => undefined);
  if (realRoot === undefined) return; // nothing exists yet: whatever gets created is ours
  let dir = dirname(path);
  while (
    !(await lstat(dir).then(
      () => true,
      () => false,
    ))
  ) {
    const up = dirname(dir);
    if (up === dir) return;
    dir = up;
  }
  const real = await realpath(dir).catch(() => undefined);
  if (real === undefined || !isWithin(realRoot, real)) {
    throw new KimgError(
      'FILE_REFUSED',
      `${what}: ${dir} leads ${real === undefined ? 'nowhere (a dangling symbolic link)' : `to ${real}`}, outside ${root}; refusing to write through it`,
      ESCAPE_HINT,
    );
  }
}
