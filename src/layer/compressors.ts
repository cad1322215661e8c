import { KimgError } from '../errors';
import { MediaType } from '../manifest/media-types';
import type { DeflatePool } from './deflate-pool';
import type { BlockBuffers } from './fixed-blocks';
import { parallelGzip } from './parallel-gzip';
import { zstdBlocks } from './zstd-blocks';

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

const LEVELS: Record<LayerCompressionKind, [number, number]> = { none: [0, 0], gzip: [1, 9], zstd: [1, 22] };

function checkLevel(kind: LayerCompressionKind, level: number | undefined): void {
  const range = LEVELS[kind];
  if (level === undefined || !range) return;
  if (!Number.isInteger(level) || level < range[0] || level > range[1]) {
    throw new KimgError(
      'INVALID_ARGUMENT',
      `compression level ${level} is out of range for ${kind}`,
      `use a whole number from ${range[0]} to ${range[1]}`,
    );
  }
}
