import type { Writable } from 'node:stream';

/**
 * The read-only view of a registry storage the server needs: the folder that holds `docker/registry/v2`, seen
 * through three operations. Two implementations: a directory on disk (`directory-storage.ts`) and the
 * `registry/` folder of an image's uncompressed layers, read in place through tar indexes
 * (`layered-tar-storage.ts`). The HTTP code is the same for both.
 *
 * Paths are relative, `/`-separated, built by `RegistryDirPaths` from names and digests the server has already
 * validated; implementations still refuse `..`, empty and absolute components (`checkStoragePath`), so a bug
 * above cannot turn into a read outside the storage.
 */
export interface RegistryStorage {
  /** For messages and the start-up line: `registry-dir:/srv/reg`, `image:app:1 (registry/ in layer 3)`. */
  readonly description: string;
  /** The names and types of a directory's children; undefined when it is not a directory. */
  list(path: string): Promise<StorageEntry[] | undefined>;
  /** A regular file, opened; undefined when absent or not a regular file. */
  open(path: string): Promise<StorageFile | undefined>;
  close(): Promise<void>;
}

export interface StorageEntry {
  name: string;
  type: 'file' | 'directory' | 'other';
}

/** An opened file: its size when opened, and byte ranges of it sent to a writable. Close it when done. */
export interface StorageFile {
  readonly size: number;
  /** Sends bytes `start` to `end` inclusive to `out` (the response), leaving `out` open; rejects if it closes first. */
  writeTo(out: Writable, start: number, end: number, onChunk?: (bytes: number) => void): Promise<void>;
  /** Reads the whole file when it is at most `limit` bytes, else undefined (the caller reports the bound). */
  readAll(limit: number): Promise<Buffer | undefined>;
  close(): Promise<void>;
}

/**
 * Refuses what no path built from validated names can hold: `..`, `.`, empty or absolute components, NUL.
 * `''` is the storage's root.
 */
export function checkStoragePath(path: string): void {
  if (path === '') return;
  const parts = path.split('/');
  if (path.includes('\0') || parts.some((part) => part === '' || part === '.' || part === '..'))
    throw new Error(`storage path "${path}" is not a plain relative path`);
}
