import { Readable, Transform } from 'node:stream';
import { relaysVerified } from '../digest';
import type { Descriptor } from '../manifest/descriptor';
import { MAX_MANIFEST_BYTES } from '../manifest/limits';
import { isManifestMediaType } from '../manifest/media-types';
import { manifestChildren, parseManifest } from '../manifest/parse';
import { readBlob } from '../transport/read-blob';
import {
  blobOriginOf,
  canPushFrom,
  isTaggingRemote,
  type BlobOrigin,
  type PushVia,
} from '../transport/capabilities';
import type { ReadOnlyTarget, Target } from '../transport/types';
import type { BlobClaim, RunBlobs } from './batch-blobs';
import { Limiter } from './limiter';

/**
 * Parallel blob transfers per copy: skopeo's default (containers/image `maxParallelDownloads`). With small
 * layers each transfer is round trips (POST, GET, PUT), not bytes: 9 blobs at 4 at a time took 3 waves of
 * them, at 6 two (issue 12 "Latency"); with big layers 6 streams fill a link as well as 4.
 */
export const DEFAULT_COPY_CONCURRENCY = 6;

export type CopyEvent =
  | { type: 'start'; descriptor: Descriptor }
  | { type: 'progress'; descriptor: Descriptor; bytes: number }
  | { type: 'skipped'; descriptor: Descriptor }
  /** Linked from another repository of the same registry: no bytes moved (distribution-spec "end-11"). */
  | { type: 'mounted'; descriptor: Descriptor }
  | { type: 'copied'; descriptor: Descriptor };

export interface CopyGraphOptions {
  signal?: AbortSignal;
  concurrency?: number;
  onEvent?: (event: CopyEvent) => void;
  /**
   * Emit 'progress' events while bytes flow. Default: whenever `onEvent` is set. Counting puts a pass-through
   * stream in every blob's path, so callers that draw no byte counts (plain-line logs, --quiet) turn it off.
   */
  byteProgress?: boolean;
  /** The leaf-transfer limiter; default a new one of `concurrency` slots. A batch run shares one per host. */
  limiter?: Limiter;
  /**
   * Blobs in flight across every copier of a batch run (copy/batch-blobs.ts): a blob another image is sending
   * to the same registry is waited for and then mounted from where it landed, so its bytes move once per run.
   */
  runBlobs?: RunBlobs;
}

export interface CopyStats {
  blobsCopied: number;
  blobsSkipped: number;
  /** Cross-repository mounts: blobs the destination registry linked without an upload. */
  blobsMounted: number;
  bytesCopied: number;
}

/**
 * The graph copy every command that moves images uses (oras-go's "data movement is copy"): walks from `root`
 * through indexes and manifests, copies children before the document that names them, skips what the
 * destination already has (an existing manifest means its whole subtree is there), and transfers each digest
 * once per session even when many images share it. Bytes are streamed source → destination unchanged; both
 * ends verify them.
 */
export class GraphCopier {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly limiter: Limiter;
  readonly stats: CopyStats = { blobsCopied: 0, blobsSkipped: 0, blobsMounted: 0, bytesCopied: 0 };

  constructor(
    private readonly source: ReadOnlyTarget,
    private readonly destination: Target,
    private readonly options: CopyGraphOptions = {},
  ) {
    this.limiter = options.limiter ?? new Limiter(options.concurrency ?? DEFAULT_COPY_CONCURRENCY);
  }

  /** Copies `desc` and everything below it; `omitted` children of `desc` (a sparse index) are left out. */
  copy(desc: Descriptor, omitted?: ReadonlySet<string>): Promise<void> {
    let pending = this.inFlight.get(desc.digest);
    if (!pending) {
      pending = this.copyOnce(desc, omitted);
      this.inFlight.set(desc.digest, pending);
    }
    return pending;
  }

  private async copyOnce(desc: Descriptor, omitted?: ReadonlySet<string>): Promise<void> {
    const { signal } = this.options;
    signal?.throwIfAborted();
    let via: PushVia = 'uploaded';
    if (isManifestMediaType(desc.mediaType)) {
      const bytes = await this.readUnlessPresent(desc);
      if (bytes === undefined) {
        via = 'exists';
      } else {
        const children = manifestChildren(
          parseManifest(bytes, desc.mediaType, `manifest ${desc.digest} in ${this.source.description}`),
        ).filter((child) => !omitted?.has(child.digest));
        await settleAll(children.map((child) => this.copy(child)));
        await this.destination.push(desc, Readable.from([bytes]), { signal });
      }
    } else {
      via = await this.transferBlob(desc);
    }
    if (via === 'mounted' || via === 'exists') {
      this.stats[via === 'mounted' ? 'blobsMounted' : 'blobsSkipped']++;
      this.emit({ type: via === 'mounted' ? 'mounted' : 'skipped', descriptor: desc });
      return;
    }
    this.stats.blobsCopied++;
    this.stats.bytesCopied += desc.size;
    this.emit({ type: 'copied', descriptor: desc });
  }

  /**
   * A manifest's bytes from the source, or undefined when the destination has it (its whole subtree then too).
   * A registry destination is asked its own tag first (HEADed when it opened: no round trip here, and an image
   * already there costs no source read); when the tag is new, its digest is not asked at all (`tagIsNew`), else
   * the digest HEAD and the source read are independent round trips, so they overlap (issue 12 "Latency"). Local destinations answer at once, before anything is read.
   */
  private async readUnlessPresent(desc: Descriptor): Promise<Buffer | undefined> {
    const { signal } = this.options;
    const read = () => readBlob(this.source, desc, MAX_MANIFEST_BYTES, { signal });
    const destination = this.destination;
    if (!isTaggingRemote(destination)) {
      return (await destination.exists(desc, { signal })) ? undefined : read();
    }
    if (await destination.tagNames(desc, { signal })) return undefined;
    if (await destination.tagIsNew(desc, { signal })) return read();
    const bytes = read();
    bytes.catch(() => undefined); // awaited below unless the destination has it
    return (await destination.exists(desc, { signal })) ? undefined : bytes;
  }

  /**
   * One blob: skipped when the destination has it, else sent through the limiter. In a batch run the first copier
   * to claim a digest for a registry asks the destination (a HEAD, or where the registry has shown it mounts, the
   * upload's POST: `checksWhilePushing`) and sends it; the others ask nothing: they wait
   * (outside the limiter, so a waiter never holds a slot its owner needs) and mount it from the repository it
   * landed in — one POST instead of HEAD + POST, or a second upload (20 images on 4 shared layers: 76 HEADs
   * fewer, issue 12).
   */
  private async transferBlob(desc: Descriptor): Promise<PushVia> {
    const { signal } = this.options;
    const destination = this.destination;
    const registry = canPushFrom(destination) ? destination.registry : undefined;
    const claim = registry === undefined ? undefined : this.options.runBlobs?.claim(registry, desc.digest);
    if (claim?.kind === 'wait') return this.mountLanded(desc, await claim.landed);
    // A registry that folds the check into the upload's first request answers 'exists' from pushFrom instead.
    if (!(canPushFrom(destination) && destination.checksWhilePushing?.(desc))) {
      let present: boolean;
      try {
        present = await destination.exists(desc, { signal });
      } catch (err) {
        claim?.settle(undefined);
        throw err;
      }
      if (present) {
        claim?.settle(blobOriginOf(destination));
        return 'exists';
      }
    }
    return this.sendClaimed(claim, () => this.copyBlob(desc));
  }

  /** A blob another copier of the run sent to this registry (`landed`: where; undefined: its send failed). */
  private async mountLanded(desc: Descriptor, landed: BlobOrigin | undefined): Promise<PushVia> {
    const own = blobOriginOf(this.destination);
    // Another tag of this very repository sent it (or found it): it is here.
    if (landed && own && landed.registry === own.registry && landed.repository === own.repository)
      return 'exists';
    // One mount per repository: other tags of this repository waiting for the same blob wait for this copier.
    const here = own && this.options.runBlobs?.claimIn(own, desc.digest);
    if (here?.kind === 'wait' && (await here.landed)) return 'exists';
    // A mount is one small request: it takes no leaf-transfer slot, so it never waits behind other images' blobs
    // (issue 12 "small requests never wait behind big blobs"; 4 images at once behind +40 ms: 2.41 → 2.19 s).
    // Should the registry answer with an upload instead, that upload is still bounded by the client's per-host
    // blob lane (registry/http/limiter.ts).
    return this.sendClaimed(here, () => this.copyBlob(desc, landed), { limited: !landed });
  }

  /**
   * One blob sent (through the limiter unless `limited` is false) by the copier that holds `claim` (if any): settled with this destination's
   * repository when it arrived, with undefined when it failed (the waiters then send it themselves).
   */
  private async sendClaimed(
    claim: BlobClaim | undefined,
    send: () => Promise<PushVia>,
    { limited = true }: { limited?: boolean } = {},
  ): Promise<PushVia> {
    const held = claim?.kind === 'send' ? claim : undefined;
    try {
      const via = limited ? await this.limiter.run(send) : await send();
      held?.settle(blobOriginOf(this.destination));
      return via;
    } catch (err) {
      held?.settle(undefined);
      throw err;
    }
  }
  /**
   * Streams one blob. A destination that takes a re-openable source (a registry) gets one, so a failed upload
   * is retried with the blob fetched again, and the source's repository to mount from when both ends are on
   * the same registry (budget: a mounted blob costs HEAD + POST, or a POST alone when this run put it there; a
   * new one HEAD + POST + PUT).
   */
  private async copyBlob(desc: Descriptor, landed?: BlobOrigin): Promise<PushVia> {
    const { signal } = this.options;
    // 'start' when its bytes are first asked for: a blob the destination turns out to have, or mounts, moves none.
    let started = false;
    const open = async () => {
      if (!started) this.emit({ type: 'start', descriptor: desc });
      started = true;
      const content = await this.source.fetch(desc, { signal });
      const { onEvent, byteProgress = true } = this.options;
      return onEvent && byteProgress ? this.counted(desc, content) : content;
    };
    if (canPushFrom(this.destination)) {
      const mountFrom = landed ?? blobOriginOf(this.source);
      return this.destination.pushFrom(desc, open, {
        signal,
        ...(mountFrom && { mountFrom }),
        ...(landed && { mountKnown: true }),
      });
    }
    await this.destination.push(desc, await open(), { signal });
    return 'uploaded';
  }

  private emit(event: CopyEvent): void {
    this.options.onEvent?.(event);
  }

  /** Reports bytes as they flow, for progress bars. Errors of `content` pass through to the destination. */
  private counted(desc: Descriptor, content: Readable): Readable {
    let bytes = 0;
    const counter = new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        bytes += chunk.length;
        this.emit({ type: 'progress', descriptor: desc, bytes });
        callback(null, chunk);
      },
    });
    content.on('error', (err) => counter.destroy(err));
    // The counter passes `content` on unchanged and fails with it: a destination need not hash it again.
    relaysVerified(counter, content);
    return content.pipe(counter);
  }
}

/** Waits for every promise (so no rejection is left unhandled), then throws the first failure. */
export async function settleAll(promises: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) throw failure.reason;
}
