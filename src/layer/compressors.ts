import { KimgError } from '../errors';
import { MediaType } from '../manifest/media-types';
import type { DeflatePool } from './deflate-pool';
import type { BlockBuffers } from './fixed-blocks';
import { DEFAULT_GZIP_LEVEL, parallelGzip } from './parallel-gzip';
import { DEFAULT_ZSTD_LEVEL, zstdBlocks } from './zstd-blocks';

export { DEFAULT_ZSTD_LEVEL } from './zstd-blocks';

export type LayerCompressionKind = 'none' | 'gzip' | 'zstd';

export const LAYER_COMPRESSIONS: readonly LayerCompressionKind[] = ['gzip', 'zstd', 'none'];

/** image-spec media-types.md: the layer media type for each compression we write. */
export const LAYER_MEDIA_TYPE: Record<LayerCompressionKind, string> = {
  none: MediaType.OciLayer,
  gzip: MediaType.OciLayerGzip,
  zstd: MediaType.OciLayerZstd,
};

export interface CompressorOptions {
  /** gzip 1–9 (default 6), zstd 1–22 (default 3). */
  level?: number;
  blockSize?: number;
  /** Required for gzip: the workers that deflate blocks. */
  pool?: DeflatePool;
  /** zstd: libzstd worker threads (default: the core count; never changes the bytes). */
  zstdWorkers?: number;
  /** Where consumed input blocks are given back for reuse (gzip, zstd). */
  buffers?: BlockBuffers;
}

/**
 * Compresses fixed-size blocks (fixed-blocks.ts: what a compressor sees never depends on how reads were cut)
 * into the bytes of a layer blob; `none` passes them through. gzip: one member deflated block-parallel in the
 * pool (parallel-gzip.ts); zstd: one frame with content checksum by libzstd's workers (zstd-blocks.ts). Neither
 * format records a time; both depend on input, level and block size only.
 */
export function compressBlocks(
  kind: LayerCompressionKind,
  blocks: AsyncIterable<Buffer>,
  options: CompressorOptions,
): AsyncIterable<Buffer> {
  checkLevel(kind, options.level);
  switch (kind) {
    case 'none':
      return blocks;
    case 'gzip': {
      const pool = options.pool;
      if (!pool) throw new KimgError('INVALID_ARGUMENT', 'gzip layers need a deflate pool');
      return parallelGzip(blocks, {
        pool,
        ...(options.level !== undefined && { level: options.level }),
        ...(options.blockSize !== undefined && { blockSize: options.blockSize }),
        ...(options.buffers && { buffers: options.buffers }),
      });
    }
    case 'zstd':
      return zstdBlocks(blocks, {
        ...(options.level !== undefined && { level: options.level }),
        ...(options.zstdWorkers !== undefined && { workers: options.zstdWorkers }),
        ...(options.buffers && { buffers: options.buffers }),
      });
    default:
      throw new KimgError(
        'INVALID_ARGUMENT',
        `unknown layer compression "${String(kind)}"`,
        `use one of ${LAYER_COMPRESSIONS.join(', ')}`,
      );
  }
}

/**
 * The levels each compression takes: zlib's 1–9, libzstd's 1–22 (its negative "fast" levels are left out, as
 * containers/image's zstd writer takes none either). `none` has no level.
 */
export const COMPRESSION_LEVELS: Record<LayerCompressionKind, readonly [number, number] | undefined> = {
  none: undefined,
  gzip: [1, 9],
  zstd: [1, 22],
};

/** The level a layer is written at when none is asked for (the defaults of zlib and libzstd). */
export const DEFAULT_COMPRESSION_LEVEL: Record<LayerCompressionKind, number | undefined> = {
  none: undefined,
  gzip: DEFAULT_GZIP_LEVEL,
  zstd: DEFAULT_ZSTD_LEVEL,
};

/**
 * `value` (a number, or the text of a flag) as a level of `kind`, or INVALID_ARGUMENT naming `name`, the value
 * and the range (`buildah push --compression-level` and skopeo's `--dest-compress-level` take the same ranges).
 */
export function parseCompressionLevel(
  kind: LayerCompressionKind,
  value: number | string,
  name = 'compression level',
): number {
  const range = COMPRESSION_LEVELS[kind];
  if (!range) {
    throw new KimgError(
      'INVALID_ARGUMENT',
      `${name} ${value}: ${kind} layers are not compressed and have no level`,
      'leave the level out, or choose gzip (1 to 9) or zstd (1 to 22)',
    );
  }
  const level = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(level) || level < range[0] || level > range[1]) {
    throw new KimgError(
      'INVALID_ARGUMENT',
      `${name} ${value}: ${kind} levels are ${range[0]} to ${range[1]}`,
      `use a whole number from ${range[0]} (fastest) to ${range[1]} (smallest); default ${DEFAULT_COMPRESSION_LEVEL[kind]}`,
    );
  }
  return level;
}

function checkLevel(kind: LayerCompressionKind, level: number | undefined): void {
  if (level !== undefined) parseCompressionLevel(kind, level);
}
