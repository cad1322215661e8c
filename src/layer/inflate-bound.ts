import { statfs } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { KimgError } from '../errors';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/**
 * How many times its compressed size a gzipped archive may inflate to. Image archives hold layers that are
 * already compressed, or plain tars of binaries and text, which gzip shrinks 2–10×; only runs of one byte go
 * past ~100× (deflate's ceiling is ~1032×), so 200 stops a bomb long before the disk fills and no real
 * archive meets it. `--max-inflate-ratio` / `KIMG_MAX_INFLATE_RATIO` raise it.
 */
export const DEFAULT_MAX_INFLATE_RATIO = 200;

/**
 * Always allowed whatever the ratio: tiny archives are mostly tar padding (512-byte headers, 10 KiB records)
 * and inflate far past any ratio, harmlessly.
 */
export const MIN_INFLATE_ALLOWANCE = 64 * MiB;

/** Left free on the scratch file system: 5% of it, at most 1 GiB (other writers, the store's own commit). */
export function defaultFreeSpaceReserve(fileSystemBytes: number): number {
  return Math.min(GiB, Math.floor(fileSystemBytes * 0.05));
}

export interface InflateBound {
  /** The most bytes the inflated copy may have. */
  readonly bytes: number;
  /** A pass-through stream that fails with the bound's KimgError once more than `bytes` went through. */
  counter(): Transform;
}

export interface InflateBoundOptions {
  maxInflateRatio?: number;
  keepFreeBytes?: number;
}

/**
 * The bound on inflating `file` (`compressedSize` bytes) into `dir`: the smaller of the ratio bound and the
 * free space of dir's file system less a reserve, measured once before inflating (fs.statfs). A write that
 * still meets a full disk fails with ENOSPC, which the caller reports.
 */
export async function inflateBound(
  file: string,
  compressedSize: number,
  dir: string,
  options: InflateBoundOptions = {},
): Promise<InflateBound> {
  const ratio = options.maxInflateRatio ?? DEFAULT_MAX_INFLATE_RATIO;
  if (!(ratio >= 1) || !Number.isFinite(ratio))
    throw new KimgError('INVALID_ARGUMENT', `max inflate ratio ${ratio}: expected a number ≥ 1`);
  const byRatio = Math.max(Math.ceil(ratio * compressedSize), MIN_INFLATE_ALLOWANCE);
  const fsStats = await statfs(dir);
  const reserve = options.keepFreeBytes ?? defaultFreeSpaceReserve(fsStats.blocks * fsStats.bsize);
  const bySpace = Math.max(fsStats.bavail * fsStats.bsize - reserve, 0);
  const bytes = Math.min(byRatio, bySpace);
  const exceeded = (): KimgError =>
    byRatio <= bySpace
      ? new KimgError(
          'SIZE_LIMIT',
          `${file}: gzip data inflates past ${bytes} bytes, over the max inflate ratio ` +
            `(${ratio} × its ${compressedSize} compressed bytes, ${MIN_INFLATE_ALLOWANCE} at least): a decompression bomb?`,
          `if the archive is genuine, raise the bound with --max-inflate-ratio N or KIMG_MAX_INFLATE_RATIO=N (default ${DEFAULT_MAX_INFLATE_RATIO})`,
        )
      : new KimgError(
          'SIZE_LIMIT',
          `${file}: gzip data inflates past ${bytes} bytes, the free space in ${dir} less a reserve of ${reserve} bytes`,
          'free space on that file system, or use a store on a larger one (--root or KIMG_ROOT): gzipped archives are inflated in its .kimg/scratch',
        );
  return {
    bytes,
    counter() {
      let total = 0;
      return new Transform({
        transform(chunk: Buffer, _encoding, callback: TransformCallback) {
          total += chunk.length;
          if (total > bytes) callback(exceeded());
          else callback(null, chunk);
        },
      });
    },
  };
}
