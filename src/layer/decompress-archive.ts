import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { KimgError } from '../errors';

export interface DecompressedArchive {
  /** The plain tar, in a private temp directory. */
  path: string;
  /** Deletes the temp directory. */
  remove(): Promise<void>;
}

/**
 * `docker save | gzip > x.tar.gz` is common, and skopeo reads such files. A gzip stream cannot be read at an
 * offset, but archive sources serve blobs in whatever order (and with whatever concurrency) the copy engine asks:
 * decompressing once to a temp file and indexing that costs one pass, where re-inflating from the start for
 * every blob would cost one pass per blob. The temp copy lives in a fresh mkdtemp directory (mode 0700).
 */
export async function decompressToTemp(
  file: string,
  options: { tmpDir?: string; signal?: AbortSignal } = {},
): Promise<DecompressedArchive> {
  const dir = await mkdtemp(join(options.tmpDir ?? tmpdir(), 'kimg-archive-'));
  const path = join(dir, 'archive.tar');
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    await pipeline(createReadStream(file), createGunzip(), createWriteStream(path), {
      signal: options.signal,
    });
  } catch (err) {
    await remove();
    if ((err as Error).name === 'AbortError')
      throw new KimgError('ABORTED', `reading ${file} was cancelled`, undefined, { cause: err });
    throw new KimgError(
      'ARCHIVE_INVALID',
      `${file}: gzip data is corrupt or truncated (${(err as Error).message})`,
      'the compressed archive is damaged; produce it again',
      { cause: err },
    );
  }
  return { path, remove };
}
