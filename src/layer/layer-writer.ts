import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Digest } from '../digest';
import { compressBlocks, LAYER_MEDIA_TYPE, type LayerCompressionKind } from './compressors';
import { DeflatePool } from './deflate-pool';
import { BlockBuffers, COMPRESSION_BLOCK_SIZE, fixedBlocks } from './fixed-blocks';
import { orderLayerEntries, type LayerEntry } from './layer-entry';
import { layerTarBlocks, type LayerTarOptions } from './layer-tar';

export interface EncodeLayerOptions {
  /** Default `gzip`. */
  compression?: LayerCompressionKind;
  level?: number;
  /** Compression block size (bytes); part of the output format — leave the default for reproducible digests. */
  blockSize?: number;
  /** Required for gzip: a deflate pool (shared by the layers of a build). */
  pool?: DeflatePool;
  /** zstd worker threads; default the core count. Never changes the output bytes. */
  zstdWorkers?: number;
}

export interface WriteLayerOptions extends LayerTarOptions, Omit<EncodeLayerOptions, 'pool'> {
  /** A deflate pool shared by the layers of a build; without one, a pool of `workers` is made and closed. */
  pool?: DeflatePool;
  /** Size of the private pool; default os.availableParallelism(). Never changes the output bytes. */
  workers?: number;
  signal?: AbortSignal;
}

/** What a manifest and a config need about the layer (image-spec manifest.md `layers`, config.md `diff_ids`). */
export interface WrittenLayer {
  mediaType: string;
  /** Digest and size of the bytes written to the sink (compressed). */
  digest: Digest;
  size: number;
  /** Digest and size of the uncompressed tar: the config's `rootfs.diff_ids` entry. */
  diffId: Digest;
  uncompressedSize: number;
}

/**
 * A layer's blob bytes as they are made, in one pass: tar blocks (file bytes read straight into them) → sha256
 * (diff ID) → compressor. Iterate `chunks` once, to the end; then `diffId` and `uncompressedSize` are known.
 * The blob's own digest is the consumer's to compute (the store's ingest hashes what it writes).
 */
export interface EncodedLayer {
  mediaType: string;
  chunks: AsyncIterable<Buffer>;
  diffId(): Digest;
  uncompressedSize(): number;
}

/** The layer of `entries` (sorted, parents added, hardlinks resolved: orderLayerEntries). */
export function encodeLayer(
  entries: Iterable<LayerEntry>,
  options: EncodeLayerOptions & LayerTarOptions = {},
): EncodedLayer {
  const buffers = new BlockBuffers(options.blockSize ?? COMPRESSION_BLOCK_SIZE);
  return encodeTar(tarBlocks(entries, options, buffers), options, buffers);
}

/**
 * The diff ID and tar size of the layer `entries` would make, without compressing it: what a build reads to
 * key a step it may find in its cache (issue 13). One block buffer is reused: the files are read and hashed,
 * nothing is kept.
 */
export async function hashLayer(
  entries: Iterable<LayerEntry>,
  options: LayerTarOptions = {},
): Promise<{ diffId: Digest; size: number }> {
  const buffers = new BlockBuffers(COMPRESSION_BLOCK_SIZE);
  const hash = createHash('sha256');
  let size = 0;
  for await (const block of tarBlocks(entries, options, buffers)) {
    hash.update(block);
    size += block.length;
    buffers.give(block);
  }
  return { diffId: `sha256:${hash.digest('hex')}`, size };
}

function tarBlocks(
  entries: Iterable<LayerEntry>,
  options: LayerTarOptions,
  buffers: BlockBuffers,
): AsyncGenerator<Buffer> {
  return layerTarBlocks(orderLayerEntries(entries), {
    buffers,
    ...(options.timestamp !== undefined && { timestamp: options.timestamp }),
    ...(options.preserveMtime && { preserveMtime: true }),
    ...(options.owner && { owner: options.owner }),
  });
}

/** A tar made elsewhere (RUN's normalized diff) as a layer: re-cut into fixed blocks, hashed, compressed. */
export function encodeTarStream(
  tar: AsyncIterable<Uint8Array>,
  options: EncodeLayerOptions = {},
): EncodedLayer {
  const buffers = new BlockBuffers(options.blockSize ?? COMPRESSION_BLOCK_SIZE);
  return encodeTar(
    fixedBlocks(tar, buffers.size, () => buffers.take()),
    options,
    buffers,
  );
}

function encodeTar(
  blocks: AsyncIterable<Buffer>,
  options: EncodeLayerOptions,
  buffers: BlockBuffers,
): EncodedLayer {
  const compression = options.compression ?? 'gzip';
  const hash = createHash('sha256');
  let size = 0;
  let diffId: Digest | undefined;
  async function* hashed(): AsyncGenerator<Buffer> {
    for await (const block of blocks) {
      hash.update(block);
      size += block.length;
      yield block;
    }
    diffId = `sha256:${hash.digest('hex')}`;
  }
  const chunks = compressBlocks(compression, hashed(), {
    ...(options.level !== undefined && { level: options.level }),
    ...(options.blockSize !== undefined && { blockSize: options.blockSize }),
    ...(options.pool && { pool: options.pool }),
    ...(options.zstdWorkers !== undefined && { zstdWorkers: options.zstdWorkers }),
    buffers,
  });
  return {
    mediaType: LAYER_MEDIA_TYPE[compression],
    chunks,
    diffId: () => {
      if (!diffId) throw new Error('diffId read before the layer was written to its end');
      return diffId;
    },
    uncompressedSize: () => size,
  };
}

/**
 * Writes a reproducible layer to `sink` in one streaming pass: tar → sha256 (diff ID) → compression → sha256
 * (digest) → sink. Nothing is buffered beyond the compressor's blocks in flight, so memory does not grow with
 * the layer. The sink is ended (and, for a file, flushed) when this resolves; on failure it is destroyed and the
 * caller deletes whatever it wrote.
 */
export async function writeLayer(
  entries: Iterable<LayerEntry>,
  sink: Writable,
  options: WriteLayerOptions = {},
): Promise<WrittenLayer> {
  const compression = options.compression ?? 'gzip';
  const ownPool = compression === 'gzip' && !options.pool ? new DeflatePool(options.workers) : undefined;
  try {
    const pool = options.pool ?? ownPool;
    const layer = encodeLayer(entries, { ...options, ...(pool && { pool }) });
    const hash = createHash('sha256');
    let size = 0;
    async function* counted(): AsyncGenerator<Buffer> {
      for await (const chunk of layer.chunks) {
        hash.update(chunk);
        size += chunk.length;
        yield chunk;
      }
    }
    await pipeline(Readable.from(counted()), sink, options.signal ? { signal: options.signal } : {});
    return {
      mediaType: layer.mediaType,
      digest: `sha256:${hash.digest('hex')}`,
      size,
      diffId: layer.diffId(),
      uncompressedSize: layer.uncompressedSize(),
    };
  } finally {
    await ownPool?.close();
  }
}

/**
 * writeLayer into a new file, fsynced before it resolves, so the caller can rename it under its digest; on
 * failure the partial file is removed.
 */
export async function writeLayerFile(
  entries: Iterable<LayerEntry>,
  path: string,
  options: WriteLayerOptions = {},
): Promise<WrittenLayer> {
  try {
    return await writeLayer(
      entries,
      createWriteStream(path, { flags: 'wx', mode: 0o644, flush: true }),
      options,
    );
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
}
