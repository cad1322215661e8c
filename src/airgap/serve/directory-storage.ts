import { constants, promises as fs } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { KimgError } from '../../errors';
import { FileRange } from './file-range';
import { checkStoragePath, type RegistryStorage, type StorageEntry, type StorageFile } from './storage';

/**
 * A registry storage on disk: DIR holds `docker/registry/v2` (what `storage.filesystem.rootdirectory` names).
 * The files are not trusted: a link or blob may be a symlink to /etc/shadow, a FIFO, a device, or a directory
 * symlinked out of DIR. Every open therefore (1) checks that the real path of the parent directory is inside
 * DIR, (2) opens with O_NOFOLLOW (a symlinked last component fails with ELOOP) and O_NONBLOCK (a FIFO does not
 * block the open), (3) fstat's the descriptor — regular files only, size from the descriptor — and (4) checks
 * where the descriptor really points (/proc/self/fd) against DIR, which closes the race between (1) and (2).
 */
export class DirectoryStorage implements RegistryStorage {
  readonly description: string;

  private constructor(
    private readonly root: string,
    private readonly realRoot: string,
  ) {
    this.description = `registry-dir:${root}`;
  }

  static async open(dir: string): Promise<DirectoryStorage> {
    const root = resolve(dir);
    let realRoot: string;
    try {
      realRoot = await fs.realpath(root);
    } catch (err) {
      throw new KimgError(
        'IO_ERROR',
        `cannot open ${dir}: ${(err as NodeJS.ErrnoException).code}`,
        'check the path',
      );
    }
    const v2 = await fs.stat(join(realRoot, 'docker', 'registry', 'v2')).catch(() => undefined);
    if (!v2?.isDirectory()) {
      throw new KimgError(
        'LAYOUT_INVALID',
        `${dir} is not a registry storage (no docker/registry/v2 folder in it)`,
        'name the folder the registry was configured with (storage.filesystem.rootdirectory), e.g. the registry/ of a cluster image',
      );
    }
    return new DirectoryStorage(root, realRoot);
  }

  async list(path: string): Promise<StorageEntry[] | undefined> {
    checkStoragePath(path);
    const full = join(this.root, path);
    if (!(await this.realInside(full))) return undefined;
    try {
      const entries = await fs.readdir(full, { withFileTypes: true });
      // Symlinks are "other": never descended into, so a loop or an escape cannot be walked.
      return entries.map((entry) => ({
        name: entry.name,
        type: entry.isFile() ? 'file' : entry.isDirectory() ? 'directory' : 'other',
      }));
    } catch (err) {
      if (isAbsent(err)) return undefined;
      throw err;
    }
  }

  async open(path: string): Promise<StorageFile | undefined> {
    checkStoragePath(path);
    const full = join(this.root, path);
    if (!(await this.realInside(dirname(full)))) return undefined;
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(full, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (err) {
      if (isAbsent(err)) return undefined;
      throw err;
    }
    try {
      const stat = await handle.stat();
      if (stat.isFile() && (await this.descriptorInside(handle.fd)))
        return new FileRange(handle, 0, stat.size);
    } catch (err) {
      await handle.close();
      throw err;
    }
    await handle.close();
    return undefined;
  }

  async close(): Promise<void> {
    // Nothing is held between requests.
  }

  /** Whether `path` resolves (symlinks followed) to DIR or a path below it; absent paths are not inside. */
  private async realInside(path: string): Promise<boolean> {
    const real = await fs.realpath(path).catch(() => undefined);
    return real !== undefined && (real === this.realRoot || real.startsWith(this.realRoot + sep));
  }

  /** Where an open descriptor points, by the kernel's account; where /proc is missing, step (1) stands alone. */
  private async descriptorInside(fd: number): Promise<boolean> {
    const real = await fs.readlink(`/proc/self/fd/${fd}`).catch(() => undefined);
    return real === undefined || real.startsWith(this.realRoot + sep);
  }
}

/** Absent, or not what the path says (a file where a directory was expected, a symlink refused by O_NOFOLLOW). */
function isAbsent(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'EISDIR';
}
