import type { Readable, Writable } from 'node:stream';
import type { Descriptor } from '../../manifest';
import { commitTransaction, Ingest, type OciLayout, type PendingRoot } from '../../store';
import type { IoOptions, NamedImage, TagOptions, Target } from '../types';

/**
 * A layout as a copy destination and source (src/transport/types.ts). Writes form a transaction: pushes are
 * staged and verified in `.kimg/ingest/<txid>/`, tags are remembered, and nothing is visible to readers until
 * `commit`. After commit or abort the target can start a new transaction. Reads see committed state, except
 * that `exists` and `fetch` also see this transaction's staged blobs (the copy engine may read back a manifest
 * it pushed). A blob `exists` finds in the layout is pinned into the transaction (store/ingest.ts `pin`).
 */
export class LayoutTarget implements Target {
  private ingest: Ingest;
  /** Keyed by name (an untagged root by a key of its own), in call order: re-tagging a name moves it last. */
  private roots = new Map<string, PendingRoot>();
  private untagged = 0;

  constructor(readonly layout: OciLayout) {
    this.ingest = new Ingest(layout.paths);
  }

  get description(): string {
    return this.layout.description;
  }

  async fetch(desc: Descriptor, _options?: IoOptions): Promise<Readable> {
    return this.layout.fetch(desc, this.ingest.stagedPath(desc.digest));
  }

  /** A blob the layout has is pinned for this transaction, so a concurrent prune cannot fail the commit. */
  async exists(desc: Descriptor, _options?: IoOptions): Promise<boolean> {
    return this.ingest.pin(desc.digest, this.layout.paths.blob(desc.digest));
  }

  resolve(ref: string | undefined, _options?: IoOptions): Promise<Descriptor> {
    return this.layout.resolve(ref);
  }

  list(_options?: IoOptions): Promise<NamedImage[]> {
    return this.layout.list();
  }

  push(desc: Descriptor, content: Readable, options: IoOptions = {}): Promise<void> {
    return this.ingest.stageUnlessPresent(desc, content, () => this.exists(desc), options.signal);
  }

  /**
   * A blob made while it streams in (a layer being compressed), named by the digest of what was written
   * (store/ingest.ts `stageProduced`): no temp file and no second copy. Part of this transaction like a push.
   */
  pushProduced<T>(
    mediaType: string,
    produce: (sink: Writable) => Promise<T>,
  ): Promise<{ descriptor: Descriptor; result: T }> {
    return this.ingest.stageProduced(produce).then(({ digest, size, result }) => ({
      descriptor: { mediaType, digest, size },
      result,
    }));
  }

  /**
   * `ref` is normalized by the layout's policy now, so a bad name fails before any commit work; tagging a name
   * twice in one transaction keeps the last. `ref` undefined keeps `desc` as an untagged entry.
   */
  async tag(desc: Descriptor, ref: string | undefined, options: TagOptions = {}): Promise<void> {
    const omitted = options.omitted && options.omitted.size > 0 ? { omitted: options.omitted } : {};
    if (ref === undefined) {
      this.roots.set(`\0untagged ${this.untagged++}`, { desc, ...omitted });
      return;
    }
    const name = this.layout.policy.normalize(ref);
    // A Map, not an array filtered per call: an archive with 10,000 names tags 10,000 times.
    this.roots.delete(name);
    this.roots.set(name, { name, desc, ...omitted });
  }

  async commit(options: IoOptions = {}): Promise<void> {
    await this.ingest.settled();
    await commitTransaction(this.layout, this.ingest, [...this.roots.values()], options.signal);
    await this.reset();
  }

  async abort(): Promise<void> {
    await this.ingest.settled();
    await this.reset();
  }

  /** Dropping a target without commit leaves the layout as it was (types.ts), so close discards pending work. */
  async close(): Promise<void> {
    await this.abort();
  }

  private async reset(): Promise<void> {
    this.roots = new Map();
    await this.ingest.remove();
    this.ingest = new Ingest(this.layout.paths);
  }
}
