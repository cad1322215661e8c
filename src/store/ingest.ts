import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isVerified, parseDigest, VerifyingStream, type Digest } from '../digest';
import type { Descriptor } from '../manifest';
import type { LayoutPaths } from './paths';
import { makeDirectory, pathExists } from '../fs/atomic-file';
import { newIngestDirName } from './ingest-name';
import { removeOnInterrupt } from '../interrupt';
import { assertLayoutWritable } from './layout-file';

/**
 * Bytes buffered ahead of the file: while one write is in the kernel, the chunks arriving meanwhile (64 KiB
 * each from sockets and files) queue up to this much and go down in one writev, instead of one awaited write
 * per chunk.
 */
export const STAGING_BUFFER_BYTES = 1024 * 1024;

/**
 * Bytes written between background flushes: the kernel starts writing a big blob back while it is still being
 * produced, so the fsync that ends it waits for the last few megabytes instead of all of them.
 */
export const FLUSH_EVERY_BYTES = 8 * 1024 * 1024;

/**
 * Writes to an open handle and fsyncs it before finishing: commit renames the file into blobs/, and after a
 * crash a blob there must have its bytes on disk. (fs.WriteStream cannot fsync before 'finish' on Node 20.)
 * Every FLUSH_EVERY_BYTES an fdatasync runs in the background (one at a time; it does not hold up writes), so
 * the final fsync of the 88 MB layer of bench/build.ts takes 3–5 ms instead of ~33 (strace).
 */
function syncedSink(handle: fs.FileHandle, seen?: (chunk: Buffer) => void): Writable {
  let unflushed = 0;
  let flushing: Promise<void> | undefined;
  const written = (bytes: number): void => {
    unflushed += bytes;
    if (unflushed < FLUSH_EVERY_BYTES || flushing) return;
    unflushed = 0;
    flushing = handle.datasync().finally(() => (flushing = undefined));
    flushing.catch(() => undefined); // the final sync reports what matters
  };
  const write = (buffers: Buffer[], callback: (err?: Error | null) => void): void => {
    if (seen) buffers.forEach(seen);
    writeFully(handle, buffers).then(() => {
      written(buffers.reduce((bytes, buffer) => bytes + buffer.length, 0));
      callback();
    }, callback);
  };
  return new Writable({
    highWaterMark: STAGING_BUFFER_BYTES,
    write(chunk: Buffer, _encoding, callback) {
      write([chunk], callback);
    },
    writev(chunks, callback) {
      write(
        chunks.map(({ chunk }) => chunk as Buffer),
        callback,
      );
    },
    final(callback) {
      const pending = flushing ?? Promise.resolve();
      pending
        .catch(() => undefined)
        .then(() => handle.sync())
        .then(() => callback(), callback);
    },
  });
}

/** Writes every byte of `buffers` at the file position, however short the kernel's writes are. */
async function writeFully(handle: fs.FileHandle, buffers: Buffer[]): Promise<void> {
  let pending = buffers.filter((buffer) => buffer.length > 0);
  while (pending.length > 0) {
    let { bytesWritten } = await handle.writev(pending);
    const rest: Buffer[] = [];
    for (const buffer of pending) {
      if (bytesWritten >= buffer.length) {
        bytesWritten -= buffer.length;
        continue;
      }
      rest.push(bytesWritten > 0 ? buffer.subarray(bytesWritten) : buffer);
      bytesWritten = 0;
    }
    pending = rest;
  }
}

/** Written into every ingest dir so prune can tell a live transaction from a dead one's leftovers. */
export interface IngestOwner {
  pid: number;
  hostname: string;
  createdAt: string;
}

export const OWNER_FILE = 'owner.json';

/**
 * Where link(2) is refused but the blob may well be there (a file system without hard links, a store we may
 * read but not write, fs.protected_hardlinks, a full disk): `pin` then answers with a stat, unpinned.
 */
const UNPINNABLE = new Set([
  'EPERM',
  'EACCES',
  'EROFS',
  'ENOTSUP',
  'EOPNOTSUPP',
  'EMLINK',
  'EXDEV',
  'ENOSPC',
  'EDQUOT',
]);

/**
 * One transaction's staging area, `<root>/.kimg/ingest/<txid>/`. Blobs are written here (verified as they
 * stream, fsynced) and only renamed into blobs/ by commit, so nothing unverified ever sits in blobs/ and an
 * aborted or killed transaction leaves only this folder, which prune removes.
 */
export class Ingest {
  readonly dir: string;
  private readonly staged = new Map<string, string>();
  private readonly inflight = new Map<string, Promise<void>>();
  private created = false;
  /** Forgets the SIGINT/SIGTERM cleanup of the dir (interrupt/), once the dir is gone. */
  private unregister: (() => void) | undefined;

  constructor(private readonly paths: LayoutPaths) {
    this.dir = join(paths.ingestDir, newIngestDirName());
  }

  /** Digest → staged file path, for every blob whose content has been verified. */
  get blobs(): ReadonlyMap<string, string> {
    return this.staged;
  }

  stagedPath(digest: string): string | undefined {
    return this.staged.get(digest);
  }

  /**
   * A transaction's `exists`: whether the blob is staged here or is `file` (its path in the layout's blobs/).
   * A blob found there is pinned: hard-linked into the staging dir as if it had been staged, so a prune in
   * another process that deletes it as unreferenced before our commit removes only its blobs/ name — commit then
   * renames the link back (it renames staged blobs unless blobs/ has them). The content entered blobs/ verified,
   * so the link is as trusted as a staged file. link(2) is atomic: it fails with ENOENT if the blob is gone,
   * which is the answer "absent" (the bytes get copied). Cost: one link(2) instead of a stat per reused blob,
   * one unlink when the dir is removed. Where linking is refused (UNPINNABLE) the answer is a stat, unpinned:
   * the race with prune is back there, and commit reports it as BLOB_UNKNOWN.
   */
  async pin(digest: string, file: string): Promise<boolean> {
    if (this.staged.has(digest)) return true;
    // Nothing to pin and no staging dir yet: answer without creating one (a target that is only read).
    if (!this.created && !(await pathExists(file))) return false;
    const final = this.fileFor(digest);
    try {
      await this.ensureDir();
      await fs.link(file, final);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (code === 'ENOENT') return false;
      if (UNPINNABLE.has(code)) return pathExists(file);
      // EEXIST: this transaction staged or pinned it meanwhile; only complete files ever get that name.
      if (code !== 'EEXIST') throw err;
    }
    this.staged.set(digest, final);
    return true;
  }

  /** Streams `content` into the staging dir through a VerifyingStream; on any failure the partial file is gone. */
  async stage(desc: Descriptor, content: Readable, signal?: AbortSignal): Promise<void> {
    await this.ensureDir();
    const final = this.fileFor(desc.digest);
    const partial = `${final}.partial-${randomBytes(4).toString('hex')}`;
    const handle = await fs.open(partial, 'wx', 0o644);
    try {
      const expected = { digest: desc.digest, size: desc.size };
      // Already verified (every source's fetch is): no second hash, and no pass-through stage either.
      if (isVerified(content, expected)) await pipeline(content, syncedSink(handle), { signal });
      else await pipeline(content, new VerifyingStream(expected), syncedSink(handle), { signal });
      await handle.close();
      await fs.rename(partial, final);
    } catch (err) {
      await handle.close().catch(() => undefined);
      await fs.rm(partial, { force: true });
      throw err;
    }
    this.staged.set(desc.digest, final);
  }

  /**
   * Stages a blob whose digest is known only at its end — a layer being compressed as it streams in: `produce`
   * writes into the returned sink and ends it, and the sink hashes every byte as it writes it (one sha256, here,
   * where blobs are checked), so the blob is named by what actually reached the disk; fsynced, then renamed
   * like any staged blob. No temp file elsewhere, no second copy. A digest staged already keeps its file.
   */
  async stageProduced<T>(
    produce: (sink: Writable) => Promise<T>,
  ): Promise<{ digest: Digest; size: number; result: T }> {
    await this.ensureDir();
    const partial = join(this.dir, `produced.partial-${randomBytes(6).toString('hex')}`);
    const handle = await fs.open(partial, 'wx', 0o644);
    const hash = createHash('sha256');
    let size = 0;
    let result: T;
    try {
      const sink = syncedSink(handle, (chunk) => {
        hash.update(chunk);
        size += chunk.length;
      });
      result = await produce(sink);
      if (!sink.writableFinished) throw new Error('a produced blob must end its sink before it resolves');
      await handle.close();
    } catch (err) {
      await handle.close().catch(() => undefined);
      await fs.rm(partial, { force: true });
      throw err;
    }
    const digest: Digest = `sha256:${hash.digest('hex')}`;
    const final = this.fileFor(digest);
    if (this.staged.has(digest)) await fs.rm(partial, { force: true });
    else {
      await fs.rename(partial, final);
      this.staged.set(digest, final);
    }
    return { digest, size, result };
  }

  /**
   * A destination's `push`: stages `content` unless `present()` says the blob is there already (then the
   * stream is drained, so sources that must be read to the end — tar members — can move on). Two pushes of
   * one digest at once (a layer shared by two platforms) run once: the second waits for the first.
   */
  async stageUnlessPresent(
    desc: Descriptor,
    content: Readable,
    present: () => Promise<boolean>,
    signal?: AbortSignal,
  ): Promise<void> {
    const running = this.inflight.get(desc.digest);
    if (running) await running.catch(() => undefined);
    if (await present()) {
      await pipeline(content, new Writable({ write: (_chunk, _encoding, callback) => callback() }), {
        signal,
      });
      return;
    }
    const staging = this.stage(desc, content, signal);
    this.inflight.set(desc.digest, staging);
    try {
      await staging;
    } finally {
      this.inflight.delete(desc.digest);
    }
  }

  /** Waits for every push under way (commit and abort must not race a late rename). */
  async settled(): Promise<void> {
    await Promise.allSettled(this.inflight.values());
  }

  forget(digest: string): void {
    this.staged.delete(digest);
  }

  async remove(): Promise<void> {
    this.staged.clear();
    if (this.created) await fs.rm(this.dir, { recursive: true, force: true });
    this.created = false;
    this.unregister?.();
    this.unregister = undefined;
  }

  private fileFor(digest: string): string {
    const { algorithm, encoded } = parseDigest(digest);
    return join(this.dir, `${algorithm}-${encoded}`);
  }

  private async ensureDir(): Promise<void> {
    if (this.created) return;
    // `.kimg` or `blobs/sha256` a symlink to another folder: refused before the first byte is written.
    await assertLayoutWritable(this.paths);
    await makeDirectory(this.dir);
    // Interrupted mid-transaction: the staging dir goes with the process (prune would find it, but later).
    this.unregister = removeOnInterrupt(this.dir);
    const owner: IngestOwner = {
      pid: process.pid,
      hostname: hostname(),
      createdAt: new Date().toISOString(),
    };
    await fs.writeFile(join(this.dir, OWNER_FILE), JSON.stringify(owner));
    this.created = true;
  }
}
