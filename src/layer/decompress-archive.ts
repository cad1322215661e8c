import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { KimgError } from '../errors';
import { removeOnInterrupt } from '../interrupt';
import { inflateBound } from './inflate-bound';

/** A scratch dir the store knows (store/scratch.ts's `Scratch` has this shape; layer/ may not import store/). */
export interface ScratchDir {
  readonly dir: string;
  /** Removes the dir; safe to call twice. */
  release(): Promise<void>;
}

export interface InflateOptions {
  /**
   * Opens the scratch dir the inflated copy goes to. The CLI passes the store's (`.kimg/scratch/<owner>/`), so
   * SIGINT/SIGTERM remove it and `kimg prune` sweeps what SIGKILL leaves. Without it: a mkdtemp dir in `tmpDir`
   * (default os.tmpdir()), removed on SIGINT/SIGTERM only.
   */
  openScratch?: (purpose: string) => Promise<ScratchDir>;
  tmpDir?: string;
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
): Promise<DecompressedArchive> {
  const scratch = await openScratchDir(file, options);
  const path = join(scratch.dir, 'inflated.tar');
  try {
    const bound = await inflateBound(file, (await stat(file)).size, scratch.dir, options);
    await pipeline(createReadStream(file), createGunzip(), bound.counter(), createWriteStream(path), {
      signal: options.signal,
    });
  } catch (err) {
    await scratch.release();
    throw inflateError(file, path, err);
  }
  return { path, remove: () => scratch.release() };
}

async function openScratchDir(file: string, options: InflateOptions): Promise<ScratchDir> {
  if (options.openScratch) return options.openScratch(`inflated copy of ${file}`);
  const dir = await mkdtemp(join(options.tmpDir ?? tmpdir(), 'kimg-archive-'));
  const forget = removeOnInterrupt(dir);
  return {
    dir,
    release: async () => {
      forget();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function inflateError(file: string, path: string, err: unknown): KimgError {
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
    `${file}: gzip data is corrupt or truncated (${(err as Error).message})`,
    'the compressed archive is damaged; produce it again',
    { cause: err },
  );
}
