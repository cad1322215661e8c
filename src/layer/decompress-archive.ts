import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { decompressorFor } from './decompressor';
import { KimgError } from '../errors';
import { inflateBound } from './inflate-bound';
import { openScratchDir, type ScratchDirOptions } from './scratch-dir';

/** Where the inflated copy goes (scratch-dir.ts: the caller's scratch dir, else a private temp dir). */
export interface InflateOptions extends ScratchDirOptions {
  /** The inflated copy may be this many times the compressed size (DEFAULT_MAX_INFLATE_RATIO). */
  maxInflateRatio?: number;
  /** Bytes left free on the scratch file system (default: 5% of it, at most 1 GiB). */
  keepFreeBytes?: number;
  signal?: AbortSignal;
}

export interface DecompressedArchive {
  /** The plain tar, in a private scratch directory. */
  path: string;
  /** Deletes the scratch directory. */
  remove(): Promise<void>;
}

/**
 * `docker save | gzip > x.tar.gz` is common, and skopeo reads such files. A gzip stream cannot be read at an
 * offset, but archive sources serve blobs in whatever order (and with whatever concurrency) the copy engine asks:
 * decompressing once to a temp file and indexing that costs one pass, where re-inflating from the start for
 * every blob would cost one pass per blob.
 *
 * The file comes from outside, so the inflated copy is bounded (inflate-bound.ts: a ratio to the compressed size
 * and the free space of the scratch file system): a 16 GiB gzip bomb stops at the bound with one error line
 * instead of filling the disk.
 */
export async function decompressToTemp(
  file: string,
  options: InflateOptions = {},
  compression: 'gzip' | 'zstd' = 'gzip',
): Promise<DecompressedArchive> {
  const scratch = await openScratchDir(`inflated copy of ${file}`, options);
  const path = join(scratch.dir, 'inflated.tar');
  try {
    const bound = await inflateBound(file, (await stat(file)).size, scratch.dir, options);
    // A zstd archive (`kimg save --compression zstd`, `tar --zstd`) is inflated the same way.
    const stages = [
      createReadStream(file),
      ...decompressorFor(compression),
      bound.counter(),
      createWriteStream(path),
    ];
    await pipeline(stages, { signal: options.signal });
  } catch (err) {
    await scratch.release();
    throw inflateError(file, path, err, compression);
  }
  return { path, remove: () => scratch.release() };
}

function inflateError(file: string, path: string, err: unknown, compression: string): KimgError {
  if (err instanceof KimgError) return err; // a bound, already named
  if ((err as Error).name === 'AbortError')
    return new KimgError('ABORTED', `reading ${file} was cancelled`, undefined, { cause: err });
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== undefined && /^E[A-Z]+$/.test(code)) {
    // The write side failed (ENOSPC when another writer took the space after the bound was computed, EACCES…).
    return new KimgError(
      'IO_ERROR',
      `cannot inflate ${file} to ${path}: ${code}`,
      code === 'ENOSPC'
        ? 'free space on that file system, or use a store elsewhere (--root or KIMG_ROOT)'
        : undefined,
      { cause: err },
    );
  }
  return new KimgError(
    'ARCHIVE_INVALID',
    `${file}: ${compression} data is corrupt or truncated (${(err as Error).message})`,
    'the compressed archive is damaged; produce it again',
    { cause: err },
  );
}
