import type { Descriptor } from '../../manifest/descriptor';
import type { Repository } from '../../registry';
import { fetchManifest } from './manifest-io';

/**
 * The tags a `docker://` destination writes at commit (registries have no transaction: tags are what makes an
 * image visible, so they go last, after every blob and manifest). The target's own tag is HEADed once, as soon
 * as the target opens (beside the source's first requests, not after them): when it already names the digest
 * being copied, the image is present and the tag PUT is skipped.
 */
export class PendingTags {
  private readonly pending = new Map<string, Descriptor>();
  private current: Promise<Descriptor | undefined> | undefined;

  constructor(
    private readonly repo: Repository,
    private readonly ownTag: string | undefined,
  ) {}

  /** Starts the HEAD of the own tag now; a failure is reported by the first `ownTagNames`. */
  prefetch(): void {
    if (this.ownTag === undefined || this.current) return;
    this.current = this.repo.headManifest(this.ownTag);
    this.current.catch(() => undefined);
  }

  /** True when the target's own tag already points at `desc` (one HEAD per target, then cached). */
  async ownTagNames(desc: Descriptor, signal?: AbortSignal): Promise<boolean> {
    if (this.ownTag === undefined) return false;
    return (await this.ownTagHead(this.ownTag, signal))?.digest === desc.digest;
  }

  /** True when the target's own tag does not exist at the destination (the same cached HEAD). */
  async ownTagAbsent(signal?: AbortSignal): Promise<boolean> {
    if (this.ownTag === undefined) return false;
    return (await this.ownTagHead(this.ownTag, signal)) === undefined;
  }

  /** The own tag's HEAD: started by `prefetch` or by the first question, then answered from memory. */
  private ownTagHead(tag: string, signal?: AbortSignal): Promise<Descriptor | undefined> {
    return (this.current ??= this.repo.headManifest(tag, { signal }));
  }

  add(tag: string, desc: Descriptor): void {
    this.pending.set(tag, desc);
  }

  clear(): void {
    this.pending.clear();
  }

  /**
   * PUTs each tag with the manifest's exact bytes (pushed in this run, else read back by digest). A manifest in
   * `unstored` was held back for its tags: the first tag PUT stores it (and updates the referrers fallback, as
   * its digest PUT would have); it leaves the set.
   */
  async write(
    pushedBytes: (digest: string) => Buffer | undefined,
    unstored: { delete(digest: string): boolean },
    signal?: AbortSignal,
  ): Promise<void> {
    for (const [tag, desc] of this.pending) {
      if (tag === this.ownTag && this.current && (await this.current)?.digest === desc.digest) continue;
      const bytes = pushedBytes(desc.digest) ?? (await fetchManifest(this.repo, desc, signal));
      // A stored manifest already added its referrer to the fallback index; a tag PUT must not do it again.
      const referrersFallback = unstored.delete(desc.digest);
      await this.repo.putManifest(tag, bytes, desc.mediaType, { signal, referrersFallback });
    }
    this.pending.clear();
  }
}
