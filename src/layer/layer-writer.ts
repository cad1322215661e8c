import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestingStream, type Digest } from '../digest';
import { compressorStages, LAYER_MEDIA_TYPE, type LayerCompressionKind } from './compressors';
import { DeflatePool } from './deflate-pool';
import { orderLayerEntries, type LayerEntry } from './layer-entry';
import { layerTar, type LayerTarOptions } from './layer-tar';

export interface WriteLayerOptions extends LayerTarOptions {
  /** Default `gzip`. */
  compression?: LayerCompressionKind;
  level?: number;
  /** Compression block size (bytes); part of the output format — leave the default for reproducible digests. */
  blockSize?: number;
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
  const ordered = orderLayerEntries(entries);
  const ownPool = compression === 'gzip' && !options.pool ? new DeflatePool(options.workers) : undefined;
  const pool = options.pool ?? ownPool;
  try {
    const stages = compressorStages(compression, {
      level: options.level,
      blockSize: options.blockSize,
      pool,
    });
    const tar = new DigestingStream();
    const compressed = stages.length > 0 ? new DigestingStream() : undefined;
    await pipeline(
      [Readable.from(layerTar(ordered, options)), tar, ...stages, ...(compressed ? [compressed] : []), sink],
      { signal: options.signal },
    );
    const written = compressed ?? tar;
    return {
      mediaType: LAYER_MEDIA_TYPE[compression],
      digest: written.digest,
      size: written.size,
      diffId: tar.digest,
      uncompressedSize: tar.size,
    };
  } finally {
    await ownPool?.close();
  }
}

/**
 * writeLayer into a new file (e.g. in a transaction's ingest dir), fsynced before it resolves, so the caller can
 * rename it under its digest; on failure the partial file is removed.
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
