import { constants, type Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { KimgError } from '../errors';
import { realPathWithin } from './confine';

export interface OpenRegularOptions {
  /** Names the file in errors ("blob sha256:… in oci:dir"). */
  what: string;
  /** The folder the file must stay in, symlinks resolved (see confine.ts). Omit for a file the user named. */
  within?: string;
}

export interface OpenedFile {
  handle: FileHandle;
  /** From fstat of the opened descriptor: what was opened, not what the path named a moment before. */
  size: number;
}

/**
 * Opens a file that must be a regular file: never a device (/dev/zero, /dev/urandom read forever), a FIFO (open
 * blocks until a writer comes) or a socket. The path is checked with stat before opening, so no device is ever
 * opened; the open itself uses O_NONBLOCK (a FIFO swapped in meanwhile does not block the open) and O_NOFOLLOW
 * for confined files (the real path has no symlink left to follow), and the descriptor is checked again with
 * fstat. Errors of the lookup (ENOENT, ENOTDIR, ELOOP) are passed on unchanged.
 */
export async function openRegularFile(path: string, options: OpenRegularOptions): Promise<OpenedFile> {
  const target =
    options.within === undefined ? path : await realPathWithin(path, options.within, options.what);
  refuseUnlessRegular(await stat(target), path, options.what);
  const flags =
    constants.O_RDONLY | constants.O_NONBLOCK | (options.within === undefined ? 0 : constants.O_NOFOLLOW);
  const handle = await open(target, flags);
  try {
    const opened = await handle.stat();
    refuseUnlessRegular(opened, path, options.what);
    return { handle, size: opened.size };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

function refuseUnlessRegular(stats: Stats, path: string, what: string): void {
  if (stats.isFile()) return;
  throw new KimgError(
    'FILE_REFUSED',
    `${what}: ${path} is ${kindOf(stats)}, not a regular file`,
    'kimg reads layouts, registry dirs and archives only from regular files; copy the data into a file first',
  );
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'a special file';
}
