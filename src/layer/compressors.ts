import { Duplex } from 'node:stream';
import { CompressStream } from 'zstd-napi';
import { KimgError } from '../errors';
import { MediaType } from '../manifest/media-types';
import type { DeflatePool } from './deflate-pool';
import { COMPRESSION_BLOCK_SIZE, fixedBlocks } from './fixed-blocks';
import { parallelGzip } from './parallel-gzip';

export type LayerCompressionKind = 'none' | 'gzip' | 'zstd';

export const LAYER_COMPRESSIONS: readonly LayerCompressionKind[] = ['gzip', 'zstd', 'none'];

/** image-spec media-types.md: the layer media type for each compression we write. */
export const LAYER_MEDIA_TYPE: Record<LayerCompressionKind, string> = {
  none: MediaType.OciLayer,
  gzip: MediaType.OciLayerGzip,
  zstd: MediaType.OciLayerZstd,
};

/**
 * zstd level 3 is libzstd's default and what containers/image writes for `--compression-format zstd`.
 * Single-threaded on purpose: libzstd's own worker mode produces other bytes than single-threaded mode, and
 * zstd-napi drives it by polling from the JS thread.
 */
export const DEFAULT_ZSTD_LEVEL = 3;

export interface CompressorOptions {
  /** gzip 1–9 (default 6), zstd 1–19 (default 3). */
  level?: number;
  blockSize?: number;
  /** Required for gzip: the workers that deflate blocks. */
  pool?: DeflatePool;
}

/**
 * The stages that turn a tar stream into compressed bytes, for `stream.pipeline`. Empty for `none`.
 * zstd is fed fixed-size blocks, so its frame never depends on how reads were cut (RFC 8878; the frame records
 * no time, and the content checksum lets `zstd -t` verify a layer).
 */
export function compressorStages(kind: LayerCompressionKind, options: CompressorOptions): Duplex[] {
  const blockSize = options.blockSize ?? COMPRESSION_BLOCK_SIZE;
  checkLevel(kind, options.level);
  switch (kind) {
    case 'none':
      return [];
    case 'gzip': {
      const pool = options.pool;
      if (!pool) throw new KimgError('INVALID_ARGUMENT', 'gzip layers need a deflate pool');
      const level = options.level;
      return [
        Duplex.from((source: AsyncIterable<Uint8Array>) => parallelGzip(source, { pool, level, blockSize })),
      ];
    }
    case 'zstd':
      return [
        Duplex.from((source: AsyncIterable<Uint8Array>) => fixedBlocks(source, blockSize)),
        new CompressStream({ compressionLevel: options.level ?? DEFAULT_ZSTD_LEVEL, checksumFlag: true }),
      ];
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
