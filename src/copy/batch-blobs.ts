import type { BlobOrigin } from '../transport/capabilities';
import { DEFAULT_COPY_CONCURRENCY } from './copy-graph';
import { Limiter } from './limiter';

/** What `claim` answers: send the blob and `settle` where it landed, or wait for the copier sending it. */
export type BlobClaim =
  | { kind: 'send'; settle(landed: BlobOrigin | undefined): void }
  | { kind: 'wait'; landed: Promise<BlobOrigin | undefined> };

/**
 * What the copiers of one batch run share (issue 12 groundwork): a leaf-transfer limiter per host, so N images at
 * once still move at most `concurrency` blobs per registry, and the blobs in flight per destination registry,
 * so a base layer shared by 30 images is uploaded once and mounted into the other repositories (spec "end-11").
 *
 * Only registry destinations share blobs this way: their blobs are visible the moment they are uploaded. A
 * layout destination's blobs become visible at its image's commit; waiting for another image's commit could
 * deadlock two images that each hold a blob the other needs, so layouts rely on their own `exists` instead.
 */
export class RunBlobs {
  private readonly limiters = new Map<string, Limiter>();
  private readonly inFlight = new Map<string, Promise<BlobOrigin | undefined>>();

  /** `concurrencyOf(host)`: leaf transfers per host (default `DEFAULT_COPY_CONCURRENCY`). */
  constructor(private readonly concurrencyOf: (host: string) => number | undefined = () => undefined) {}

  limiter(host: string): Limiter {
    let limiter = this.limiters.get(host);
    if (!limiter) {
      limiter = new Limiter(this.concurrencyOf(host) ?? DEFAULT_COPY_CONCURRENCY);
      this.limiters.set(host, limiter);
    }
    return limiter;
  }

  /**
   * The first caller for (`registry`, `digest`) sends the blob and must `settle` (with where it landed, or
   * undefined when it failed: the waiters then send it themselves); later callers wait for that.
   */
  claim(registry: string, digest: string): BlobClaim {
    return this.claimKey(`${registry} ${digest}`);
  }

  /**
   * The same, for one repository: the copiers of several tags of one repository that each wait for a blob
   * another repository received would otherwise all mount it into theirs at once — and distribution 2.8 rewrites
   * the repository's link file in place on every mount, so a manifest PUT of one tag that reads the link while a
   * second mount rewrites it fails with DIGEST_INVALID + MANIFEST_BLOB_UNKNOWN (seen in test/sync). One mount per
   * (repository, digest); the others wait for it.
   */
  claimIn(place: BlobOrigin, digest: string): BlobClaim {
    return this.claimKey(`${place.registry}/${place.repository} ${digest}`);
  }

  private claimKey(key: string): BlobClaim {
    const landed = this.inFlight.get(key);
    if (landed) return { kind: 'wait', landed };
    let settle!: (landed: BlobOrigin | undefined) => void;
    const promise = new Promise<BlobOrigin | undefined>((resolve) => (settle = resolve));
    this.inFlight.set(key, promise);
    return {
      kind: 'send',
      settle: (where) => {
        // A failed send is forgotten, so the next image to need the blob tries again.
        if (where === undefined) this.inFlight.delete(key);
        settle(where);
      },
    };
  }
}
