import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack as createPack, type Pack } from 'tar-stream';
import { KimgError } from '../errors';

/**
 * Writes a tar file with reproducible headers: uid/gid 0, no user names, mtime 0, mode 0644 for files and 0755
 * for directories — the same normalisation `docker save` and reproducible-builds.org's tar recipe apply, so the
 * same content gives the same bytes. Entry order is the caller's: archive destinations add blobs in push order
 * and their JSON in a fixed order at commit.
 *
 * Members are strictly sequential in a tar, so concurrent `add*` calls are queued. A member that fails halfway
 * (digest mismatch, source error) leaves bytes in the file that cannot be taken back: the writer then refuses
 * all further work and the caller must `destroy()` and delete the file.
 */
export class TarWriter {
  private readonly pack: Pack = createPack();
  private readonly flushed: Promise<void>;
  private queue: Promise<void> = Promise.resolve();
  private failure: Error | undefined;

  /**
   * Writes to `path`, or into `output` when given (a compressor or a splitter that owns its files and fsyncs
   * them; `path` then only names the archive in messages).
   */
  constructor(
    readonly path: string,
    private readonly output?: Writable,
  ) {
    // Readable.from adapts tar-stream's streamx stream to a Node stream so stream/promises.pipeline can manage it.
    this.flushed = pipeline(Readable.from(this.pack), output ?? createWriteStream(path, { mode: 0o644 }));
    this.flushed.catch((err: Error) => this.fail(err));
  }

  get broken(): boolean {
    return this.failure !== undefined;
  }

  addFile(name: string, data: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.addStream(name, data.length, Readable.from([Buffer.from(data)]), options);
  }

  addDirectory(name: string): Promise<void> {
    return this.enqueue(
      () =>
        new Promise<void>((resolve, reject) => {
          this.pack.entry(header(name.replace(/\/?$/, '/'), 0, 'directory'), (err) =>
            err ? reject(err) : resolve(),
          );
        }),
    );
  }

  /** Streams `size` bytes of `content` into a member, through the optional `through` transforms (verification). */
  addStream(
    name: string,
    size: number,
    content: Readable,
    options: { signal?: AbortSignal; through?: Transform[] } = {},
  ): Promise<void> {
    return this.enqueue(async () => {
      let entryError: Error | undefined;
      const entry = this.pack.entry(header(name, size, 'file'));
      const done = new Promise<void>((resolve, reject) => {
        entry.on('error', (err: Error) => reject((entryError = err)));
        entry.on('close', () => (entryError ? reject(entryError) : resolve()));
      });
      done.catch(() => undefined);
      const sink = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          if (entry.write(chunk)) callback();
          else entry.once('drain', () => callback());
        },
        final(callback) {
          entry.end(undefined);
          done.then(() => callback(), callback);
        },
        destroy(err, callback) {
          if (err) entry.destroy(err);
          callback(err);
        },
      });
      // The file side can fail while this member waits for 'drain' (ENOSPC, EROFS…): then tar-stream never
      // drains again, so the member must be failed from here or it would wait forever.
      this.flushed.catch((err: Error) => sink.destroy(err));
      await pipeline([content, ...(options.through ?? []), sink], { signal: options.signal });
    });
  }

  /** Writes the end-of-archive blocks, flushes, fsyncs. */
  async finish(): Promise<void> {
    await this.enqueue(async () => {
      this.pack.finalize();
      await this.flushed;
      if (this.output) return;
      const handle = await open(this.path, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    });
  }

  /** Stops writing; the caller deletes the file. */
  async destroy(): Promise<void> {
    this.fail(new KimgError('ABORTED', `writing ${this.path} was aborted`));
    this.pack.destroy();
    await this.flushed.catch(() => undefined);
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const run = this.queue.then(async () => {
      if (this.failure) throw this.unusable();
      try {
        await work();
      } catch (err) {
        this.fail(err as Error);
        throw err;
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private fail(err: Error): void {
    this.failure ??= err;
  }

  private unusable(): KimgError {
    return new KimgError(
      'ARCHIVE_INVALID',
      `${this.path} cannot be written further: an earlier member failed (${this.failure?.message})`,
      'the partial archive is unusable; abort and copy again',
      { cause: this.failure },
    );
  }
}

type EntryHeader = Parameters<Pack['entry']>[0];

function header(name: string, size: number, type: 'file' | 'directory'): EntryHeader {
  return {
    name,
    size,
    type,
    mode: type === 'directory' ? 0o755 : 0o644,
    uid: 0,
    gid: 0,
    uname: '',
    gname: '',
    mtime: new Date(0),
  };
}
