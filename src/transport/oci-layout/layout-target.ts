import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Descriptor } from '../../manifest';
import { commitTransaction, Ingest, type OciLayout, type PendingRoot } from '../../store';
import type { IoOptions, NamedImage, Target } from '../types';

/**
 * A layout as a copy destination and source (src/transport/types.ts). Writes form a transaction: pushes are
 * staged and verified in `.kimg/ingest/<txid>/`, tags are remembered, and nothing is visible to readers until
 * `commit`. After commit or abort the target can start a new transaction. Reads see committed state, except
 * that `exists` and `fetch` also see this transaction's staged blobs (the copy engine may read back a manifest
 * it pushed).
 */
export class LayoutTarget implements Target {
  private ingest: Ingest;
  private roots: PendingRoot[] = [];
  private readonly inflight = new Map<string, Promise<void>>();

  constructor(readonly layout: OciLayout) {
    this.ingest = new Ingest(layout.paths);
  }

  get description(): string {
    return this.layout.description;
  }

  async fetch(desc: Descriptor, _options?: IoOptions): Promise<Readable> {
    return this.layout.fetch(desc, this.ingest.stagedPath(desc.digest));
  }

  async exists(desc: Descriptor, _options?: IoOptions): Promise<boolean> {
    return this.ingest.blobs.has(desc.digest) || this.layout.hasBlob(desc.digest);
  }

  resolve(ref: string | undefined, _options?: IoOptions): Promise<Descriptor> {
    return this.layout.resolve(ref);
  }

  list(_options?: IoOptions): Promise<NamedImage[]> {
    return this.layout.list();
  }

  async push(desc: Descriptor, content: Readable, options: IoOptions = {}): Promise<void> {
    // Two pushes of one blob in parallel (a layer shared by two platforms): the second waits for the first.
    const running = this.inflight.get(desc.digest);
    if (running) await running.catch(() => undefined);
    if (await this.exists(desc)) {
      await drain(content, options.signal);
      return;
    }
    const staging = this.ingest.stage(desc, content, options.signal);
    this.inflight.set(desc.digest, staging);
    try {
      await staging;
    } finally {
      this.inflight.delete(desc.digest);
    }
  }

  /**
   * `ref` is normalized by the layout's policy now, so a bad name fails before any commit work; tagging a name
   * twice in one transaction keeps the last. `ref` undefined keeps `desc` as an untagged entry.
   */
  async tag(desc: Descriptor, ref: string | undefined, _options?: IoOptions): Promise<void> {
    if (ref === undefined) {
      this.roots.push({ desc });
      return;
    }
    const name = this.layout.policy.normalize(ref);
    this.roots = [...this.roots.filter((root) => root.name !== name), { name, desc }];
  }

  async commit(options: IoOptions = {}): Promise<void> {
    await Promise.allSettled(this.inflight.values());
    await commitTransaction(this.layout, this.ingest, this.roots, options.signal);
    await this.reset();
  }

  async abort(): Promise<void> {
    await Promise.allSettled(this.inflight.values());
    await this.reset();
  }

  /** Dropping a target without commit leaves the layout as it was (types.ts), so close discards pending work. */
  async close(): Promise<void> {
    await this.abort();
  }

  private async reset(): Promise<void> {
    this.roots = [];
    await this.ingest.remove();
    this.ingest = new Ingest(this.layout.paths);
  }
}

/** Consumes a stream we do not need, so sources that must be read to the end (tar entries) can move on. */
async function drain(content: Readable, signal?: AbortSignal): Promise<void> {
  await pipeline(content, new Writable({ write: (_chunk, _encoding, callback) => callback() }), { signal });
}
