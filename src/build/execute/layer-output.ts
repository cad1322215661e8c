import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeflatePool,
  encodeLayer,
  encodeTarStream,
  hashLayer,
  type EncodedLayer,
  type LayerCompressionKind,
  type LayerEntry,
  type LayerTarOptions,
} from '../../layer';
import type { Digest } from '../../digest';
import { LayoutPaths, Scratch } from '../../store';
import type { LayoutTarget } from '../../transport/oci-layout';
import type { LayerSink, StoredLayer } from '../run/layer-sink';

export interface LayerOutputOptions {
  compression: LayerCompressionKind;
  /** The level of `compression`; default the compression's own (compressors.ts). */
  level?: number;
  /** Seconds since the epoch: the mtime of every member. */
  timestamp: number;
  /** `--preserve-mtime`: members keep their files' mtimes instead of `timestamp` (not reproducible). */
  preserveMtime?: true;
  signal?: AbortSignal;
}

/**
 * Where a build's new layers go: straight into the store's open transaction. The tar is made, hashed (diff ID)
 * and compressed in one pass whose output streams into the transaction's ingest dir, where it is hashed (the
 * digest) and fsynced once (store/ingest.ts `stageProduced`) — no temp file, no second copy, each byte read once
 * from the context. Nothing is visible in the store until the build commits. One deflate pool serves every
 * layer of the build. The build's scratch dir (store/scratch.ts: same file system, removed on SIGINT/SIGTERM,
 * swept by `kimg prune` after a SIGKILL) holds its other working files: unpacked stages and ADD archives,
 * downloads, RUN's exchanges with the daemon, cache entries being written.
 */
export class LayerOutput {
  private pool: DeflatePool | undefined;
  private opened: Promise<Scratch> | undefined;

  constructor(
    private readonly store: LayoutTarget,
    private readonly storeRoot: string,
    private readonly options: LayerOutputOptions,
  ) {}

  get preservesMtime(): boolean {
    return this.options.preserveMtime === true;
  }

  /** A private scratch directory (stage filesystems for COPY --from, extracted ADD archives). */
  async scratch(name: string): Promise<string> {
    const path = join(await this.ensureDir(), `${name}-${randomBytes(4).toString('hex')}`);
    await mkdir(path);
    return path;
  }

  /**
   * One layer of `entries`, staged in the store's transaction. `compression` overrides the build's for this
   * layer: the `registry/` layer is stored uncompressed (its blobs are compressed already, and `kimg registry
   * serve --image` serves it in place).
   */
  write(
    entries: Iterable<LayerEntry>,
    owner?: { uid: number; gid: number },
    compression: LayerCompressionKind = this.options.compression,
  ): Promise<StoredLayer> {
    const pool = this.gzipPool(compression);
    return this.stage(
      encodeLayer(entries, {
        compression,
        ...this.levelOf(compression),
        ...this.tarOptions(owner),
        ...(pool && { pool }),
      }),
    );
  }

  /**
   * The diff ID `write` would give the layer of `entries`, reading the files but compressing nothing: how a
   * COPY whose sources the stat index cannot vouch for is keyed before its cache is looked up.
   */
  hash(
    entries: Iterable<LayerEntry>,
    owner?: { uid: number; gid: number },
  ): Promise<{ diffId: Digest; size: number }> {
    return hashLayer(entries, this.tarOptions(owner));
  }

  /** The LayerSink RUN needs: its normalized tar → compressed → staged in the store. */
  readonly sink: LayerSink = async (tar: Readable, options = {}) => {
    const compression = this.options.compression;
    const pool = this.gzipPool(compression);
    return this.stage(
      encodeTarStream(tar, { compression, ...this.levelOf(compression), ...(pool && { pool }) }),
      options.signal,
    );
  };

  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = undefined;
    const opened = this.opened;
    this.opened = undefined;
    await (await opened?.catch(() => undefined))?.release();
  }

  private async stage(layer: EncodedLayer, signal = this.options.signal): Promise<StoredLayer> {
    const { descriptor } = await this.store.pushProduced(layer.mediaType, (sink) =>
      pipeline(Readable.from(layer.chunks), sink, signal ? { signal } : {}),
    );
    return { descriptor, diffId: layer.diffId() };
  }

  private tarOptions(owner: { uid: number; gid: number } | undefined): LayerTarOptions {
    return {
      timestamp: this.options.timestamp,
      ...(this.options.preserveMtime && { preserveMtime: true }),
      ...(owner && { owner }),
    };
  }

  /** The build's level belongs to the build's compression; a layer written otherwise (`none`) takes none. */
  private levelOf(compression: LayerCompressionKind): { level?: number } {
    const { level } = this.options;
    return level !== undefined && compression === this.options.compression ? { level } : {};
  }

  private gzipPool(compression: LayerCompressionKind): DeflatePool | undefined {
    if (compression !== 'gzip') return undefined;
    return (this.pool ??= new DeflatePool());
  }

  private async ensureDir(): Promise<string> {
    this.opened ??= Scratch.open(new LayoutPaths(this.storeRoot), 'build');
    return (await this.opened).dir;
  }
}
