import { createHash, type Hash } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { Duplex, PassThrough, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KimgError } from '../../errors';
import { fsyncDir } from '../../fs';
import { COMPRESSION_BLOCK_SIZE, compressBlocks, DeflatePool, fixedBlocks } from '../../layer';
import {
  dataPartName,
  encodeHeader,
  headerPartName,
  MAX_PARTS,
  BUNDLE_PARTS_MEDIA_TYPE,
  type BundleCompression,
} from './bundle-format';

export interface BundleOptions {
  /** Compression of the whole archive (default none). */
  compression?: BundleCompression;
  /** Cut the output into parts of at most this many bytes (`--split`); default one file. */
  splitBytes?: number;
}

export interface WrittenFile {
  file: string;
  size: number;
  sha256: string;
}

export interface WrittenBundle {
  compression: BundleCompression;
  /** The archive itself, or the header (`FILE.part000`) followed by the data parts. */
  files: WrittenFile[];
  /** Bytes of the archive as written (compressed), all parts together, and their sha256. */
  bytes: number;
  sha256: string;
}

/** Records a temp file before it is created; returns the function that forgets it once renamed away. */
export type AdoptTemp = (file: string) => Promise<() => void>;

/**
 * zstd's own worker threads: one takes the compression off the JS thread, which meanwhile reads and hashes the
 * next blobs (measured on 256 MiB of incompressible data: 1.08 s single-threaded, 0.55 s with one worker); more
 * only help on more cores. The bytes differ from single-threaded mode, which does not matter here: a bundle is
 * checked by the sha256 of its parts, not compared with another build.
 */
function zstdWorkers(): number {
  return Math.min(4, Math.max(1, availableParallelism() - 1));
}

/**
 * Where an archive destination's tar goes: through the compressor into one temp file (`FILE.kimg-tmp-<pid>`,
 * renamed to FILE at commit, as before bundles existed) or into numbered temp parts (`FILE.kimg-tmp-<pid>.N`)
 * renamed to `FILE.part001`… at commit, followed by the header `FILE.part000` written last: a reader that finds
 * the header finds every part it lists. Each part is hashed and fsynced as it is closed.
 */
export class BundleOutput {
  /** What the tar writer writes into. */
  readonly input = new PassThrough({ highWaterMark: 1024 * 1024 });
  private readonly sink: PartSink;
  private readonly done: Promise<void>;
  private readonly pool: DeflatePool | undefined;

  private constructor(
    readonly file: string,
    private readonly options: BundleOptions,
    adopt: AdoptTemp,
  ) {
    this.sink = new PartSink(file, options.splitBytes, adopt);
    const compression = options.compression ?? 'none';
    this.pool = compression === 'gzip' ? new DeflatePool() : undefined;
    this.done = pipeline([this.input, ...stagesFor(compression, this.pool), this.sink]);
    this.done.catch(() => undefined); // observed by commit/abort
  }

  /** Creates the first (temp) file at once, so a bad path fails before any image is read. */
  static async create(file: string, options: BundleOptions, adopt: AdoptTemp): Promise<BundleOutput> {
    const output = new BundleOutput(file, options, adopt);
    try {
      await output.sink.ensurePart();
    } catch (err) {
      await output.abort();
      throw err;
    }
    return output;
  }

  /** The first temp file (what `kimg prune` would remove after a SIGKILL). */
  get firstTemp(): string {
    return this.sink.tempName(1);
  }

  async commit(): Promise<WrittenBundle> {
    await this.done;
    await this.pool?.close();
    const parts = this.sink.parts;
    const written: WrittenBundle = {
      compression: this.options.compression ?? 'none',
      files: [],
      bytes: this.sink.bytes,
      sha256: this.sink.wholeHash.digest('hex'),
    };
    if (this.options.splitBytes === undefined) {
      const only = parts[0] as ClosedPart;
      await rename(only.temp, this.file);
      written.files.push({ file: this.file, size: only.size, sha256: only.sha256 });
    } else {
      const names = parts.map((_, i) => dataPartName(this.file, i + 1, parts.length));
      for (const [i, part] of parts.entries()) await rename(part.temp, names[i] as string);
      const header = encodeHeader({
        mediaType: BUNDLE_PARTS_MEDIA_TYPE,
        count: parts.length,
        bytes: written.bytes,
        sha256sum: written.sha256,
        compression: written.compression,
        parts: parts.map(({ size, sha256 }) => ({ size, sha256 })),
      });
      const headerTemp = `${this.sink.tempName(0)}header`;
      this.sink.forgets.push(await this.sink.adopt(resolve(headerTemp)));
      await writeSynced(headerTemp, header);
      await rename(headerTemp, headerPartName(this.file));
      written.files.push({
        file: headerPartName(this.file),
        size: header.length,
        sha256: createHash('sha256').update(header).digest('hex'),
      });
      for (const [i, part] of parts.entries())
        written.files.push({ file: names[i] as string, size: part.size, sha256: part.sha256 });
    }
    this.sink.forget();
    await fsyncDir(dirname(this.file)).catch(() => undefined);
    return written;
  }

  /** Stops writing and removes every temp file. */
  async abort(): Promise<void> {
    this.input.destroy(new KimgError('ABORTED', `writing ${this.file} was aborted`));
    await this.done.catch(() => undefined);
    await this.pool?.close();
    await this.sink.discard();
  }
}

/**
 * The layers' block compressors (layer/compressors.ts), so a bundle is compressed the way a layer is: gzip by the
 * pigz-style pool, one member; zstd as one frame by libzstd's workers.
 */
function stagesFor(compression: BundleCompression, pool: DeflatePool | undefined): Duplex[] {
  if (compression === 'none') return [];
  const options = { ...(pool && { pool }), zstdWorkers: zstdWorkers() };
  return [
    Duplex.from((source: AsyncIterable<Uint8Array>) =>
      compressBlocks(compression, fixedBlocks(source, COMPRESSION_BLOCK_SIZE), options),
    ),
  ];
}

interface ClosedPart {
  temp: string;
  size: number;
  sha256: string;
}

/** The file end: bytes into the current part until it is full, then the next; each part hashed and fsynced. */
class PartSink extends Writable {
  readonly parts: ClosedPart[] = [];
  readonly wholeHash = createHash('sha256');
  readonly forgets: (() => void)[] = [];
  bytes = 0;
  private current: { temp: string; handle: FileHandle; size: number; hash: Hash } | undefined;
  private opening: Promise<void> | undefined;

  constructor(
    readonly file: string,
    private readonly splitBytes: number | undefined,
    readonly adopt: AdoptTemp,
  ) {
    super({ highWaterMark: 1024 * 1024 });
  }

  /** `FILE.kimg-tmp-<pid>` for one file; `FILE.kimg-tmp-<pid>.N` for part N (the marker lets prune find them). */
  tempName(n: number): string {
    const base = `${this.file}.kimg-tmp-${process.pid}`;
    return this.splitBytes === undefined ? base : `${base}.${n === 0 ? '' : n}`;
  }

  /**
   * Opens the next part unless one is open. Once at a time: create() opens the first while the compressor may
   * already be writing (parallel gzip emits its header at once), and two opens would truncate each other.
   */
  async ensurePart(): Promise<void> {
    if (this.current) return;
    this.opening ??= this.openPart().finally(() => (this.opening = undefined));
    await this.opening;
  }

  private async openPart(): Promise<void> {
    const n = this.parts.length + 1;
    if (n > MAX_PARTS) {
      throw new KimgError(
        'SIZE_LIMIT',
        `${this.file} needs more than ${MAX_PARTS} parts of ${this.splitBytes} bytes`,
        'use a larger --split',
      );
    }
    const temp = this.tempName(n);
    // Absolute: prune reads the record from another working directory.
    this.forgets.push(await this.adopt(resolve(temp)));
    const handle = await open(temp, 'w', 0o644);
    this.current = { temp, handle, size: 0, hash: createHash('sha256') };
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.writeChunk(chunk).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    // No new part here: the last write may have filled one exactly.
    Promise.resolve(this.opening)
      .then(() => this.closePart())
      .then(() => callback(), callback);
  }

  private async writeChunk(chunk: Buffer): Promise<void> {
    let rest = chunk;
    while (rest.length > 0) {
      await this.ensurePart();
      const part = this.current as NonNullable<typeof this.current>;
      const room = this.splitBytes === undefined ? rest.length : this.splitBytes - part.size;
      const piece = rest.subarray(0, room);
      await writeAll(part.handle, piece);
      part.hash.update(piece);
      this.wholeHash.update(piece);
      part.size += piece.length;
      this.bytes += piece.length;
      rest = rest.subarray(piece.length);
      if (part.size === this.splitBytes) await this.closePart();
    }
  }

  private async closePart(): Promise<void> {
    const part = this.current;
    if (!part) return;
    this.current = undefined;
    try {
      await part.handle.sync();
    } finally {
      await part.handle.close();
    }
    this.parts.push({ temp: part.temp, size: part.size, sha256: part.hash.digest('hex') });
  }

  /** Forgets the interrupt cleanups and scratch records of files renamed away. */
  forget(): void {
    for (const forget of this.forgets.splice(0)) forget();
  }

  async discard(): Promise<void> {
    await this.opening?.catch(() => undefined);
    const open = this.current;
    this.current = undefined;
    await open?.handle.close().catch(() => undefined);
    const temps = [...this.parts.map((part) => part.temp), ...(open ? [open.temp] : [])];
    if (this.splitBytes !== undefined) temps.push(`${this.tempName(0)}header`);
    for (const temp of temps) await rm(temp, { force: true });
    this.forget();
  }
}

async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset);
    offset += bytesWritten;
  }
}

async function writeSynced(file: string, data: Buffer): Promise<void> {
  const handle = await open(file, 'w', 0o644);
  try {
    await writeAll(handle, data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
