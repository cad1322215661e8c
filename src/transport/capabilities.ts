import type { Readable } from 'node:stream';
import type { Descriptor } from '../manifest/descriptor';
import type { IoOptions, ReadOnlyTarget, Target } from './types';

/**
 * Optional capabilities of a target (DESIGN.md "optional mount, referrers, tags"; oras-go's Mounter,
 * ReferrerLister, TagLister): the copy engine probes them and falls back to plain fetch/push when absent.
 */

/** Where a source's blobs live, so a destination on the same registry can mount them instead of uploading. */
export interface BlobOrigin {
  /** The registry host as in references (`quay.io`, `127.0.0.1:5000`). */
  registry: string;
  /** The repository (`library/nginx`). */
  repository: string;
}

/** A blob source that can be opened again: a failed upload is retried with fresh bytes (go-containerregistry's Opener). */
export type BlobOpener = () => Promise<Readable>;

/** How a blob reached the destination. */
export type PushVia = 'exists' | 'mounted' | 'uploaded';

export interface PushFromOptions extends IoOptions {
  /** A repository on the destination's registry holding the blob: tried first with a cross-repository mount. */
  mountFrom?: BlobOrigin;
  /**
   * `mountFrom` is known to hold the blob (another copier of this run put it there): mount without asking this
   * repository first (a mount of a blob already here is accepted too, spec "end-11").
   */
  mountKnown?: boolean;
}

/** A destination that takes a re-openable blob source (retries re-open it) and can mount within its registry. */
export interface ReopeningPusher {
  /** The registry host this destination writes to; `mountFrom` only helps when it is the same. */
  readonly registry: string;
  pushFrom(desc: Descriptor, open: BlobOpener, options?: PushFromOptions): Promise<PushVia>;
  /**
   * `pushFrom` itself finds out whether `desc` is there, in fewer requests than `exists` and a push (a registry
   * that answers a mount into the repository itself: see registry/client/upload.ts): the engine then skips
   * `exists`, and `pushFrom` answers 'exists' for a blob that was there.
   */
  checksWhilePushing?(desc: Descriptor): boolean;
}

/** A source that can list the manifests whose `subject` is a given manifest (OCI 1.1 referrers). */
export interface ReferrerLister {
  referrers(subject: Descriptor, options?: IoOptions): Promise<Descriptor[]>;
}

/** A source that lists the tags of the repository it reads (cosign's `sha256-<hex>.sig` tags live there). */
export interface TagLister {
  tags(options?: IoOptions): Promise<string[]>;
}

/**
 * A source whose resolve can also read the manifest, in one request (a registry: a GET by tag instead of a HEAD):
 * the bytes are kept, so the copy's later `fetch` of that descriptor costs no request. Worth it only when the
 * manifest will be read (the destination lacks the image): a batch run asks it while it is copying (copy/batch).
 */
export interface ReadingResolver {
  /** As `resolve`, reading the manifest (verified as any manifest read) and keeping it for `fetch`. */
  resolveReading(ref: string, options?: IoOptions): Promise<Descriptor>;
}

export interface OriginSource {
  readonly blobOrigin?: BlobOrigin;
}

export function canPushFrom(target: Target): target is Target & ReopeningPusher {
  return typeof (target as Partial<ReopeningPusher>).pushFrom === 'function';
}

export function canListReferrers(target: ReadOnlyTarget): target is ReadOnlyTarget & ReferrerLister {
  return typeof (target as Partial<ReferrerLister>).referrers === 'function';
}

export function canListTags(target: ReadOnlyTarget): target is ReadOnlyTarget & TagLister {
  return typeof (target as Partial<TagLister>).tags === 'function';
}

export function canResolveReading(target: ReadOnlyTarget): target is ReadOnlyTarget & ReadingResolver {
  return typeof (target as Partial<ReadingResolver>).resolveReading === 'function';
}

export function blobOriginOf(target: ReadOnlyTarget): BlobOrigin | undefined {
  return (target as OriginSource).blobOrigin;
}

/**
 * A destination across the network that names images by tag (a registry): every check costs a round trip, so
 * the copy engine asks the tag first, overlaps the other checks with source reads, and says which names an image
 * will get before pushing it (issue 12 "Latency").
 */
export interface TaggingRemote {
  /** The destination's own tag already names `desc` (HEADed once, when the target opened): the image is there. */
  tagNames(desc: Descriptor, options?: IoOptions): Promise<boolean>;
  /** `desc` will be tagged `names` at commit: its manifest may be stored by those tag PUTs alone (one PUT per tag). */
  expectTags(desc: Descriptor, names: readonly string[]): void;
  /**
   * The destination's own tag does not exist and `desc` is the image it will name: new content as a rule, so the
   * engine does not ask for its digest (one HEAD less per new image); what is already there is still found blob
   * by blob. A tag that exists but names another digest (a moved `latest`) keeps the digest check.
   */
  tagIsNew(desc: Descriptor, options?: IoOptions): Promise<boolean>;
}

export function isTaggingRemote(target: Target): target is Target & TaggingRemote {
  return typeof (target as Partial<TaggingRemote>).expectTags === 'function';
}
