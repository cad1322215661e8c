import { Readable, Transform } from 'node:stream';
import { verifierFor } from '../../digest';
import { KimgError } from '../../errors';
import { removeOnInterrupt } from '../../interrupt';
import { TarWriter } from '../../layer';
import { MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES, isManifestMediaType, type Descriptor } from '../../manifest';
import type { IoOptions, NamedImage, Target } from '../types';
import { OCI_LAYOUT_BYTES, OCI_LAYOUT_FILE, blobPath } from './layout-files';
import { selectImage } from './select-image';
import { BundleOutput, type BundleOptions, type WrittenBundle } from './bundle-output';

/**
 * The scratch dir a destination records its temp file in (store/scratch.ts's `Scratch` has this shape): the
 * record lets `kimg prune` remove the temp file after a SIGKILL, and adopting registers its removal on
 * SIGINT/SIGTERM.
 */
export interface TempFileScratch {
  /** Records `file` before it is created; returns the function that forgets it once it was renamed away. */
  adopt(file: string): Promise<() => void>;
  release(): Promise<void>;
}

export interface ArchiveDestinationOptions {
  /**
   * Opens the scratch dir that adopts the temp file (the CLI: the store's). Without it the temp file is only
   * removed on SIGINT/SIGTERM; what SIGKILL leaves stays.
   */
  openScratch?: (purpose: string) => Promise<TempFileScratch>;
  /** Compress the whole archive and/or cut it into parts (`kimg save --compression --split`; bundle-output.ts). */
  bundle?: BundleOptions;
}

/** Blobs small enough to keep in memory after pushing, so `tag` can read manifests and `fetch` can serve them. */
function keepLimit(desc: Descriptor): number {
  if (isManifestMediaType(desc.mediaType)) return MAX_MANIFEST_BYTES;
  return desc.mediaType.endsWith('json') ? MAX_CONFIG_BYTES : 0;
}

/**
 * What oci-archive and docker-archive destinations share: the archive is one tar streamed to
 * `FILE.kimg-tmp-<pid>` — `oci-layout` first, then every pushed blob as `blobs/sha256/<hex>`, verified as it is
 * written — and renamed onto FILE at commit, after the subclass's metadata files (compressed and split on the
 * way when `bundle` asks: bundle-output.ts). Nothing is buffered but JSON
 * blobs, so memory does not grow with image size. A tar cannot take back a half-written member, so one failed
 * push makes the archive unusable: later calls fail and the caller aborts (transfer() always does).
 */
export abstract class ArchiveDestination implements Target {
  /** Created by start(), once the temp file is recorded. */
  private tarWriter: TarWriter | undefined;
  private output: BundleOutput | undefined;
  private scratch: TempFileScratch | undefined;
  /** What commit wrote: the file or parts, sizes, sha256. */
  written: WrittenBundle | undefined;
  private readonly pushed = new Map<string, Promise<void>>();
  private readonly completed = new Set<string>();
  /** JSON blobs by digest (manifests, configs). */
  protected readonly jsonBlobs = new Map<string, Buffer>();
  private state: 'open' | 'committed' | 'aborted' = 'open';

  protected constructor(
    readonly file: string,
    readonly description: string,
  ) {}

  private get writer(): TarWriter {
    if (!this.tarWriter) throw new Error(`${this.description}: start() was not called`);
    return this.tarWriter;
  }

  /**
   * Records the temp file (so an interrupted or killed command leaves nothing that `kimg prune` cannot find),
   * creates it (surfacing a bad path at once) and writes the layout header members.
   */
  protected async start(options: ArchiveDestinationOptions = {}): Promise<void> {
    this.scratch = await options.openScratch?.(`temp file of ${this.file}`);
    const scratch = this.scratch;
    const adopt = async (temp: string) => (scratch ? scratch.adopt(temp) : removeOnInterrupt(temp));
    try {
      this.output = await BundleOutput.create(this.file, options.bundle ?? {}, adopt);
    } catch (err) {
      await this.releaseTemp();
      throw new KimgError(
        'IO_ERROR',
        `cannot write ${this.file}.kimg-tmp-${process.pid}: ${(err as Error).message}`,
        'check that the directory exists and is writable',
        { cause: err },
      );
    }
    this.tarWriter = new TarWriter(this.file, this.output.input);
    await this.writer.addFile(OCI_LAYOUT_FILE, OCI_LAYOUT_BYTES);
    await this.writer.addDirectory('blobs');
    await this.writer.addDirectory('blobs/sha256');
  }

  async push(desc: Descriptor, content: Readable, options: IoOptions = {}): Promise<void> {
    this.assertOpen();
    const earlier = this.pushed.get(desc.digest);
    if (earlier) {
      content.destroy(); // a duplicate: the first push's bytes are (being) written already
      return earlier;
    }
    const limit = keepLimit(desc);
    const kept: Buffer[] = [];
    const through: Transform[] = [
      verifierFor(content, {
        digest: desc.digest,
        size: desc.size,
        label: `${desc.mediaType} ${desc.digest} for ${this.description}`,
      }),
    ];
    if (limit > 0 && desc.size <= limit) {
      through.push(
        new Transform({ transform: (chunk: Buffer, _e, cb) => (kept.push(chunk), cb(null, chunk)) }),
      );
    }
    const written = this.writer
      .addStream(blobPath(desc.digest), desc.size, content, { signal: options.signal, through })
      .then(() => {
        this.completed.add(desc.digest);
        if (kept.length > 0 || (limit > 0 && desc.size === 0))
          this.jsonBlobs.set(desc.digest, Buffer.concat(kept));
      });
    this.pushed.set(desc.digest, written);
    return written;
  }

  async exists(desc: Descriptor): Promise<boolean> {
    return this.completed.has(desc.digest);
  }

  async fetch(desc: Descriptor): Promise<Readable> {
    const bytes = this.jsonBlobs.get(desc.digest);
    if (bytes) return Readable.from([bytes]);
    throw new KimgError(
      this.completed.has(desc.digest) ? 'UNSUPPORTED' : 'BLOB_UNKNOWN',
      `${desc.digest} cannot be read back from ${this.description} before it is committed`,
      'read the archive after commit, as a source',
    );
  }

  abstract list(): Promise<NamedImage[]>;
  abstract tag(desc: Descriptor, ref: string | undefined, options?: IoOptions): Promise<void>;
  /** The metadata members written at commit, after every blob. */
  protected abstract metadataFiles(): { name: string; data: Buffer }[];

  async resolve(ref: string | undefined): Promise<Descriptor> {
    const images = await this.list();
    return selectImage(
      this.description,
      images.map((image) => ({
        value: image.descriptor,
        names: image.name === undefined ? [] : [image.name],
        key: image.descriptor.digest,
      })),
      ref,
    );
  }

  async commit(options: IoOptions = {}): Promise<void> {
    this.assertOpen();
    await Promise.all(this.pushed.values());
    for (const { name, data } of this.metadataFiles()) await this.writer.addFile(name, data, options);
    await this.writer.finish();
    this.written = await (this.output as BundleOutput).commit();
    this.state = 'committed';
    await this.releaseTemp();
  }

  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    await this.tarWriter?.destroy();
    await this.output?.abort();
    await this.releaseTemp();
  }

  /** Removes the scratch dir that recorded the temp files (renamed or removed by then). */
  private async releaseTemp(): Promise<void> {
    await this.scratch?.release();
  }

  /** Closing an uncommitted destination discards it (Target contract: dropped without commit = unchanged). */
  async close(): Promise<void> {
    await this.abort();
  }

  protected assertOpen(): void {
    if (this.state !== 'open')
      throw new KimgError('INVALID_ARGUMENT', `${this.description} was already ${this.state}`);
  }

  protected requirePushed(desc: Descriptor, role: string): void {
    if (!this.completed.has(desc.digest)) {
      throw new KimgError(
        'BLOB_UNKNOWN',
        `${role} ${desc.digest} was not pushed to ${this.description}`,
        'push every blob before tagging the manifest that names it',
      );
    }
  }
}
