import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseDigest, verifierFor } from '../digest';
import type { Descriptor } from '../manifest';
import type { LayoutPaths } from './paths';
import { makeDirectory } from './fs-atomic';

/**
 * Writes to an open handle and fsyncs it before finishing: commit renames the file into blobs/, and after a
 * crash a blob there must have its bytes on disk. (fs.WriteStream cannot fsync before 'finish' on Node 20.)
 */
function syncedSink(handle: fs.FileHandle): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      writeFully(handle, chunk).then(() => callback(), callback);
    },
    final(callback) {
      handle.sync().then(() => callback(), callback);
    },
  });
}

async function writeFully(handle: fs.FileHandle, chunk: Buffer): Promise<void> {
  for (let offset = 0; offset < chunk.length;) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
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
 * One transaction's staging area, `<root>/.kimg/ingest/<txid>/`. Blobs are written here (verified as they
 * stream, fsynced) and only renamed into blobs/ by commit, so nothing unverified ever sits in blobs/ and an
 * aborted or killed transaction leaves only this folder, which prune removes.
 */
export class Ingest {
  readonly dir: string;
  private readonly staged = new Map<string, string>();
  private readonly inflight = new Map<string, Promise<void>>();
  private created = false;

  constructor(paths: LayoutPaths) {
    this.dir = join(paths.ingestDir, `${process.pid}-${randomBytes(6).toString('hex')}`);
  }

  /** Digest → staged file path, for every blob whose content has been verified. */
  get blobs(): ReadonlyMap<string, string> {
    return this.staged;
  }

  stagedPath(digest: string): string | undefined {
    return this.staged.get(digest);
  }

  /** Streams `content` into the staging dir through a VerifyingStream; on any failure the partial file is gone. */
  async stage(desc: Descriptor, content: Readable, signal?: AbortSignal): Promise<void> {
    await this.ensureDir();
    const { algorithm, encoded } = parseDigest(desc.digest);
    const final = join(this.dir, `${algorithm}-${encoded}`);
    const partial = `${final}.partial-${randomBytes(4).toString('hex')}`;
    const handle = await fs.open(partial, 'wx', 0o644);
    try {
      await pipeline(
        content,
        verifierFor(content, { digest: desc.digest, size: desc.size }),
        syncedSink(handle),
        { signal },
      );
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
  }

  private async ensureDir(): Promise<void> {
    if (this.created) return;
    await makeDirectory(this.dir);
    const owner: IngestOwner = {
      pid: process.pid,
      hostname: hostname(),
      createdAt: new Date().toISOString(),
    };
    await fs.writeFile(join(this.dir, OWNER_FILE), JSON.stringify(owner));
    this.created = true;
  }
}
