import { Readable } from 'node:stream';
import { isKimgError, KimgError } from '../../errors';
import type { Descriptor } from '../../manifest/descriptor';
import { MAX_MANIFEST_BYTES } from '../../manifest/limits';
import { isIndexMediaType, isManifestMediaType } from '../../manifest/media-types';
import { formatReference, repositoryName, type ImageReference } from '../../reference';
import type { RegistryClient, Repository } from '../../registry';
import type {
  BlobOpener,
  BlobOrigin,
  PushFromOptions,
  PushVia,
  ReferrerLister,
  ReadingResolver,
  ReopeningPusher,
  TagLister,
  TaggingRemote,
} from '../capabilities';
import { readAll } from '../read-blob';
import type { BlobLocations } from './blob-locations';
import type { IoOptions, NamedImage, Target, TagOptions } from '../types';
import { fetchManifest, onceOpener, sizeChecked } from './manifest-io';
import { manifestReference, repositoryRef, type RepositoryRef } from './registry-ref';
import { PendingTags } from './pending-tags';

export interface RegistryTargetOptions {
  /** Opened to be written: asks for `pull,push` tokens up front (one token for HEAD, POST and PUT). */
  push?: boolean;
  /** Close the client with the target (a client made for this target alone). */
  ownsClient?: boolean;
  /**
   * Where blobs were seen before (skopeo's blob info cache): read to mount a blob from another repository of
   * this registry instead of uploading it, and told about every blob this target reads, finds or writes.
   */
  blobLocations?: BlobLocations;
}

/**
 * `docker://REF`: one repository of a registry behind the Target interface, over the shared RegistryClient.
 *
 * A registry has no transaction. Blobs and manifests are written by digest as they are pushed: they are
 * invisible (nothing names them) and harmless if the copy dies — the next run HEADs them and skips them, and
 * registry garbage collection reclaims them otherwise. **Tags are written only at `commit`**, after every blob
 * and manifest of every graph is in place, so a tag never points at an incomplete image; `abort` forgets them.
 */
export class RegistryTarget
  implements Target, ReopeningPusher, ReferrerLister, TagLister, TaggingRemote, ReadingResolver
{
  readonly description: string;
  readonly registry: string;
  readonly blobOrigin: BlobOrigin;
  private readonly repo: Repository;
  /** Manifests pushed by this target, for the tag PUTs at commit and read-back by the copy engine. */
  private readonly pushed = new Map<string, Buffer>();
  /**
   * Manifests `resolveReading` read, by the digest of their bytes (the client checked them against
   * Docker-Content-Digest and the digest asked for): `fetch` serves them without a request.
   */
  private readonly resolvedManifests = new Map<string, Buffer>();
  /** Blobs `exists` just found missing: their push skips the second HEAD (budget: HEAD, POST, PUT). */
  private readonly absent = new Set<string>();
  private readonly pendingTags: PendingTags;
  /** Digests the copy will tag (`expectTags`): their manifests are stored by the tag PUTs at commit. */
  private readonly expected = new Set<string>();
  /** Manifests held back for their tag PUTs (one PUT per tag, no digest PUT first): digest → media type. */
  private readonly unstored = new Map<string, string>();
  /**
   * Something this target was asked failed (a request, a blob read): its close then writes no blob locations,
   * so a failed pull leaves the store as it was (issue 9 class 5).
   */
  private failed = false;

  constructor(
    private readonly client: RegistryClient,
    private readonly reference: ImageReference,
    private readonly options: RegistryTargetOptions = {},
  ) {
    this.description = `docker://${formatReference(reference)}`;
    this.registry = reference.domain;
    this.repo = client.repository(reference.domain, reference.path, { push: options.push === true });
    this.blobOrigin = { registry: reference.domain, repository: reference.path };
    this.pendingTags = new PendingTags(this.repo, repositoryRef(undefined, reference, this.description).tag);
    // A destination is written to right after the source is resolved: learn its scheme and auth challenge
    // (GET /v2/, done once per host anyway) and whether its own tag already names an image, meanwhile instead
    // of after (issue 12: the source's and the destination's checks overlap). A failed ping is not kept: the
    // first real request pings again and reports it; a failed HEAD is reported when the copy asks for it.
    if (options.push) {
      client.ping(reference.domain).catch(() => undefined);
      this.pendingTags.prefetch();
    }
  }

  async fetch(desc: Descriptor, options: IoOptions = {}): Promise<Readable> {
    if (!isManifestMediaType(desc.mediaType)) {
      const content = await this.watch(this.repo.fetchBlob(desc, options));
      // Remembered once every byte arrived and verified, not when the request was answered.
      content.once('end', () => this.seen(desc.digest));
      content.once('error', () => (this.failed = true));
      return content;
    }
    const bytes =
      this.pushed.get(desc.digest) ??
      this.resolvedBytes(desc) ??
      (await this.watch(fetchManifest(this.repo, desc, options.signal)));
    return Readable.from([bytes]);
  }

  /** A manifest `resolveReading` read: its bytes hash to `desc.digest` (the key); the size is checked as a GET's. */
  private resolvedBytes(desc: Descriptor): Buffer | undefined {
    const bytes = this.resolvedManifests.get(desc.digest);
    return bytes && sizeChecked(bytes, desc, this.repo);
  }

  /** `work`, noting its failure (see `failed`). */
  private async watch<T>(work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (err) {
      this.failed = true;
      throw err;
    }
  }

  async exists(desc: Descriptor, options: IoOptions = {}): Promise<boolean> {
    return this.watch(this.existsUnwatched(desc, options));
  }

  /**
   * The destination's own tag already naming this digest means the image is there and tagged: an image already
   * present costs 2 requests, this HEAD and the source's resolve (DESIGN.md budget).
   */
  tagNames(desc: Descriptor, options: IoOptions = {}): Promise<boolean> {
    return this.watch(this.pendingTags.ownTagNames(desc, options.signal));
  }

  async tagIsNew(desc: Descriptor, options: IoOptions = {}): Promise<boolean> {
    return (
      this.expected.has(desc.digest) && (await this.watch(this.pendingTags.ownTagAbsent(options.signal)))
    );
  }

  expectTags(desc: Descriptor, names: readonly string[]): void {
    if (names.some((name) => repositoryRef(name, this.reference, this.description).tag !== undefined))
      this.expected.add(desc.digest);
  }

  private async existsUnwatched(desc: Descriptor, options: IoOptions): Promise<boolean> {
    if (isManifestMediaType(desc.mediaType)) {
      if (await this.pendingTags.ownTagNames(desc, options.signal)) return true;
      if (this.unstored.has(desc.digest)) return true;
      return (await this.repo.headManifest(desc.digest, options)) !== undefined;
    }
    const found = await this.repo.blobExists(desc.digest, options);
    if (found) this.seen(desc.digest);
    else this.absent.add(desc.digest);
    return found;
  }

  async resolve(ref: string | undefined, options: IoOptions = {}): Promise<Descriptor> {
    const wanted = repositoryRef(ref, this.reference, this.description);
    const found = await this.watch(this.repo.headManifest(manifestReference(wanted), options));
    if (!found) throw this.notFound(wanted);
    return found;
  }

  /**
   * `resolve` by GET (issue 12 "Latency"): the manifest comes with its descriptor in one request, verified as
   * every manifest read is (registry/client/manifests.ts `verifyManifest`: the bytes hash to
   * Docker-Content-Digest and to a digest asked for), and is kept, so the copy's `fetch` of it sends nothing —
   * one request instead of HEAD + GET for an image the destination lacks. For one it has, the body is wasted and
   * Docker Hub counts a GET as a pull (a HEAD is free): only a batch run in a copy streak asks (copy/batch-resolve.ts).
   */
  async resolveReading(ref: string, options: IoOptions = {}): Promise<Descriptor> {
    const wanted = repositoryRef(ref, this.reference, this.description);
    try {
      const { descriptor, bytes } = await this.watch(
        this.repo.getManifest(manifestReference(wanted), options),
      );
      this.resolvedManifests.set(descriptor.digest, bytes);
      return descriptor;
    } catch (err) {
      // A HEAD's 404 has no body; a GET's names the manifest or the repository: the same missing image.
      if (isKimgError(err, 'MANIFEST_UNKNOWN') || isKimgError(err, 'NAME_UNKNOWN'))
        throw this.notFound(wanted, err);
      throw err;
    }
  }

  private notFound(wanted: RepositoryRef, cause?: unknown): KimgError {
    this.failed = true;
    const name = `${repositoryName(this.reference)}${wanted.digest ? `@${wanted.digest}` : `:${wanted.tag}`}`;
    return new KimgError(
      'IMAGE_NOT_FOUND',
      `${this.registry}/${name} does not exist`,
      'check the name and tag (kimg tags REPOSITORY lists the tags)',
      cause === undefined ? undefined : { cause },
    );
  }

  async list(options: IoOptions = {}): Promise<NamedImage[]> {
    const images: NamedImage[] = [];
    for (const tag of await this.repo.listTags(options)) {
      const descriptor = await this.repo.headManifest(tag, options);
      if (descriptor) images.push({ name: `${this.registry}/${this.reference.path}:${tag}`, descriptor });
    }
    return images;
  }

  tags(options: IoOptions = {}): Promise<string[]> {
    return this.repo.listTags(options);
  }

  /**
   * The copy engine's Readable can be consumed once: a failed upload of it cannot be retried here (the opener
   * refuses a second call, with a hint to rerun). The engine uses `pushFrom` with a re-openable source instead.
   */
  async push(desc: Descriptor, content: Readable, options: IoOptions = {}): Promise<void> {
    if (isManifestMediaType(desc.mediaType)) {
      const bytes = await readAll(content, MAX_MANIFEST_BYTES, `manifest ${desc.digest}`);
      this.pushed.set(desc.digest, bytes);
      // To be tagged: stored by its tag PUTs at commit (a PUT by tag stores the manifest too, spec "end-7").
      if (this.expected.has(desc.digest)) {
        this.unstored.set(desc.digest, desc.mediaType);
        return;
      }
      // The registry checks an index's children: one held back for its tags is stored first, by digest.
      if (isIndexMediaType(desc.mediaType)) await this.storeUnstored(options.signal);
      // By digest (spec "end-7"): a tag is only written at commit.
      await this.repo.putManifest(desc.digest, bytes, desc.mediaType, options);
      return;
    }
    await this.pushFrom(desc, onceOpener(content, desc, this.description), options);
  }

  /**
   * A blob's `exists` would be a HEAD that `pushFrom` can fold into its upload POST (the registry mounts:
   * registry/client/upload.ts "a mount as the check"); one with another repository to mount from is HEADed there.
   */
  checksWhilePushing(desc: Descriptor): boolean {
    return !isManifestMediaType(desc.mediaType) && this.repo.pushChecksByMount;
  }

  async pushFrom(desc: Descriptor, open: BlobOpener, options: PushFromOptions = {}): Promise<PushVia> {
    const from = options.mountFrom;
    const sourceRepository =
      from && from.registry === this.registry && from.repository !== this.repo.name
        ? from.repository
        : undefined;
    // Not from this registry's source: where an earlier run put or found the blob on this registry.
    const hinted =
      sourceRepository === undefined
        ? this.options.blobLocations
            ?.candidates(this.registry, desc.digest)
            .find((repository) => repository !== this.repo.name)
        : undefined;
    const skipExistsCheck =
      this.absent.delete(desc.digest) || (options.mountKnown === true && sourceRepository !== undefined);
    const result = await this.repo.pushBlob(desc, open, {
      mountFrom: sourceRepository ?? hinted,
      skipExistsCheck,
      signal: options.signal,
    });
    // The registry would not mount from the remembered repository: the blob is no longer there.
    if (hinted !== undefined && result.via === 'uploaded')
      this.options.blobLocations?.forget(this.registry, desc.digest, hinted);
    this.seen(desc.digest);
    return result.via;
  }

  /** Remembers that this repository holds `digest` (for mounts by later copies). */
  private seen(digest: string): void {
    this.options.blobLocations?.record(this.registry, digest, this.repo.name);
  }

  async tag(desc: Descriptor, ref: string | undefined, options: TagOptions = {}): Promise<void> {
    if (options.omitted && options.omitted.size > 0) {
      throw new KimgError(
        'UNSUPPORTED',
        `${this.description} cannot hold a sparse index: registries check that every child exists`,
        'drop --keep-index to push a filtered index (new digest), or copy all platforms',
      );
    }
    // Untagged: the manifest is already stored by digest, which is all a registry keeps of an unnamed image.
    if (ref === undefined) return;
    const wanted = repositoryRef(ref, this.reference, this.description);
    if (wanted.digest !== undefined && wanted.digest !== desc.digest) {
      throw new KimgError('INVALID_ARGUMENT', `cannot store ${desc.digest} in ${this.description} as ${ref}`);
    }
    if (wanted.tag !== undefined) this.pendingTags.add(wanted.tag, desc);
  }

  /** Blob locations are written here, after the tags: only a copy that succeeded writes into the store. */
  async commit(options: IoOptions = {}): Promise<void> {
    const bytes = (digest: string) => this.pushed.get(digest);
    await this.watch(this.pendingTags.write(bytes, this.unstored, options.signal));
    // Held back but never tagged after all: stored by digest, as any pushed manifest is.
    await this.watch(this.storeUnstored(options.signal));
    await this.options.blobLocations?.save();
  }

  /** PUTs by digest the manifests held back for their tags, in the order they were pushed. */
  private async storeUnstored(signal?: AbortSignal): Promise<void> {
    for (const [digest, mediaType] of [...this.unstored]) {
      const bytes = this.pushed.get(digest) as Buffer;
      await this.repo.putManifest(digest, bytes, mediaType, { signal });
      this.unstored.delete(digest);
    }
  }

  async abort(): Promise<void> {
    this.failed = true;
    this.pendingTags.clear();
    this.unstored.clear();
  }

  async referrers(subject: Descriptor, options: IoOptions = {}): Promise<Descriptor[]> {
    return this.watch(this.repo.referrers(subject.digest, options));
  }

  async close(): Promise<void> {
    this.pendingTags.clear();
    this.resolvedManifests.clear();
    // A source has no commit: it writes what it saw when none of its reads failed. A failed copy writes
    // nothing into the store (issue 9): what a destination uploaded before failing is found by the rerun's HEADs.
    if (!this.failed && !this.options.push) await this.options.blobLocations?.save();
    if (this.options.ownsClient) await this.client.close();
  }
}
