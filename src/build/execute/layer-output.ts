import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestingStream } from '../../digest';
import {
  compressorStages,
  DeflatePool,
  LAYER_MEDIA_TYPE,
  writeLayerFile,
  type LayerCompressionKind,
  type LayerEntry,
} from '../../layer';
import type { Descriptor } from '../../manifest/descriptor';
import { LayoutPaths, Scratch } from '../../store';
import type { Target } from '../../transport/types';
import type { LayerSink, StoredLayer } from '../run/layer-sink';

export interface LayerOutputOptions {
  compression: LayerCompressionKind;
  /** Seconds since the epoch: the mtime of every member. */
  timestamp: number;
  /** `--preserve-mtime`: members keep their files' mtimes instead of `timestamp` (not reproducible). */
  preserveMtime?: boolean;
  signal?: AbortSignal;
}

/**
 * Where a build's new layers go: compressed into the build's scratch dir in the store (store/scratch.ts: same
 * file system, removed on SIGINT/SIGTERM, swept by `kimg prune` after a SIGKILL), then pushed into the store's
 * open transaction, which verifies and stages them. The same scratch dir holds the build's other working files
 * (unpacked stages and ADD archives, downloads, RUN's exchanges with the daemon, cache entries being written).
 * One deflate pool serves every layer of the build. Nothing is visible in the store until the build commits.
 */
export class LayerOutput {
  private pool: DeflatePool | undefined;
  private opened: Promise<Scratch> | undefined;

  constructor(
    private readonly store: Target,
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
   * One layer of `entries`. `compression` overrides the build's for this layer: the `registry/` layer is stored
   * uncompressed (its blobs are compressed already, and `kimg registry serve --image` serves it in place).
   */
  async write(
    entries: Iterable<LayerEntry>,
    owner?: { uid: number; gid: number },
    compression: LayerCompressionKind = this.options.compression,
  ): Promise<StoredLayer> {
    const file = join(await this.ensureDir(), `layer-${randomBytes(6).toString('hex')}`);
    const written = await writeLayerFile(entries, file, {
      compression,
      timestamp: this.options.timestamp,
      ...(this.options.preserveMtime && { preserveMtime: true }),
      ...(owner && { owner }),
      ...(compression === 'gzip' && this.gzipPool() && { pool: this.gzipPool() }),
      ...(this.options.signal && { signal: this.options.signal }),
    });
    const descriptor: Descriptor = {
      mediaType: written.mediaType,
      digest: written.digest,
      size: written.size,
    };
    return this.stage(file, descriptor, written.diffId);
  }

  /** The LayerSink RUN needs: its normalized tar → compressed → staged in the store. */
  readonly sink: LayerSink = async (tar: Readable, options = {}) => {
    const file = join(await this.ensureDir(), `run-${randomBytes(6).toString('hex')}`);
    const kind = this.options.compression;
    const pool = this.gzipPool();
    const stages = compressorStages(kind, pool ? { pool } : {});
    const diff = new DigestingStream();
    const compressed = stages.length > 0 ? new DigestingStream() : undefined;
    try {
      await pipeline(
        [tar, diff, ...stages, ...(compressed ? [compressed] : []), createWriteStream(file, { flags: 'wx' })],
        { signal: options.signal ?? this.options.signal },
      );
    } catch (err) {
      await rm(file, { force: true });
      throw err;
    }
    const out = compressed ?? diff;
    return this.stage(
      file,
      { mediaType: LAYER_MEDIA_TYPE[kind], digest: out.digest, size: out.size },
      diff.digest,
    );
  };

  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = undefined;
    const opened = this.opened;
    this.opened = undefined;
    await (await opened?.catch(() => undefined))?.release();
  }

  private async stage(file: string, descriptor: Descriptor, diffId: string): Promise<StoredLayer> {
    try {
      await this.store.push(
        descriptor,
        createReadStream(file),
        this.options.signal ? { signal: this.options.signal } : {},
      );
    } finally {
      await rm(file, { force: true });
    }
    return { descriptor, diffId };
  }

  private gzipPool(): DeflatePool | undefined {
    if (this.options.compression !== 'gzip') return undefined;
    return (this.pool ??= new DeflatePool());
  }

  private async ensureDir(): Promise<string> {
    this.opened ??= Scratch.open(new LayoutPaths(this.storeRoot), 'build');
    return (await this.opened).dir;
  }
}
