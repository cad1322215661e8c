import type { Readable } from 'node:stream';
import type { Descriptor } from '../../manifest/descriptor';
import type { BodyOpener } from '../http/body';
import { deleteBlob, fetchBlob, fetchBlobRange, headBlob, type BlobInfo } from './blobs';
import type { RepositoryContext } from './context';
import {
  deleteManifest,
  getManifest,
  headManifest,
  putManifest,
  type FetchedManifest,
  type PutManifestResult,
} from './manifests';
import { addReferrer, listReferrers, referrerDescriptor, removeReferrer } from './referrers';
import { listTags, tagPages, type ListOptions } from './tags';
import { pushBlob, type PushBlobOptions, type PushBlobResult } from './upload';

export interface Signal {
  signal?: AbortSignal;
}

/**
 * One repository on one registry: every distribution-spec endpoint under `/v2/<name>/`. Obtained from
 * RegistryClient.repository(); cheap to create. Opened with `push: true` it asks for `pull,push` tokens from
 * the start, so a push does not fetch a pull token for its HEADs and then a push token for its uploads.
 */
export class Repository {
  constructor(private readonly ctx: RepositoryContext & { referrersApi?: boolean }) {}

  get domain(): string {
    return this.ctx.domain;
  }

  get name(): string {
    return this.ctx.name;
  }

  /** HEAD: the blob's size when present, undefined when not. */
  statBlob(digest: string, options: Signal = {}): Promise<BlobInfo | undefined> {
    return headBlob(this.ctx, digest, options.signal);
  }

  async blobExists(digest: string, options: Signal = {}): Promise<boolean> {
    return (await headBlob(this.ctx, digest, options.signal)) !== undefined;
  }

  /**
   * `pushBlob` without `mountFrom` or `skipExistsCheck` asks whether the blob is here by the POST that opens its
   * upload, not by a HEAD (the registry proved this run that it mounts: upload.ts "a mount as the check").
   */
  get pushChecksByMount(): boolean {
    return this.ctx.session.mountChecksBlobs;
  }

  /** The blob's bytes, verified against `desc` (digest and size) and resumed after connection drops. */
  fetchBlob(desc: Descriptor, options: Signal = {}): Promise<Readable> {
    return fetchBlob(this.ctx, desc, options.signal);
  }

  /** Bytes `start`..`end` inclusive, unverified (a part cannot be checked against the whole's digest). */
  fetchBlobRange(digest: string, start: number, end?: number, options: Signal = {}): Promise<Readable> {
    return fetchBlobRange(this.ctx, digest, start, end, options.signal);
  }

  /** Uploads `desc` from `open` (called again for every retry) unless present; mounts from `mountFrom` first. */
  pushBlob(desc: Descriptor, open: BodyOpener, options: PushBlobOptions = {}): Promise<PushBlobResult> {
    return pushBlob(this.ctx, desc, open, options);
  }

  deleteBlob(digest: string, options: Signal = {}): Promise<void> {
    return deleteBlob(this.ctx, digest, options.signal);
  }

  /** GET by tag or digest, verified; `accept` defaults to OCI manifest/index and Docker schema 2/list. */
  getManifest(
    reference: string,
    options: Signal & { accept?: readonly string[] } = {},
  ): Promise<FetchedManifest> {
    return getManifest(this.ctx, reference, options);
  }

  headManifest(
    reference: string,
    options: Signal & { accept?: readonly string[] } = {},
  ): Promise<Descriptor | undefined> {
    return headManifest(this.ctx, reference, options);
  }

  /**
   * PUT by tag or digest. A manifest with a `subject` pushed to a registry that does not answer `OCI-Subject`
   * (no referrers API) is added to the referrers fallback index, unless `referrersFallback` is false.
   */
  async putManifest(
    reference: string,
    bytes: Buffer,
    mediaType: string,
    options: Signal & { referrersFallback?: boolean } = {},
  ): Promise<PutManifestResult> {
    const { digest, subject } = await putManifest(this.ctx, reference, bytes, mediaType, options);
    const declared = subjectOf(bytes);
    if (declared && !subject && options.referrersFallback !== false) {
      const referrer = referrerDescriptor({ mediaType, digest, size: bytes.length }, bytes);
      await addReferrer(this.ctx, declared, referrer, options.signal);
    }
    return { digest, subject };
  }

  deleteManifest(reference: string, options: Signal = {}): Promise<void> {
    return deleteManifest(this.ctx, reference, options.signal);
  }

  listTags(options: ListOptions = {}): Promise<string[]> {
    return listTags(this.ctx, options);
  }

  tagPages(options: ListOptions = {}): AsyncGenerator<string[]> {
    return tagPages(this.ctx, options);
  }

  /** Referrers of `subject`: the referrers API, or the `sha256-<hex>` fallback index where there is none. */
  referrers(subject: string, options: Signal & { artifactType?: string } = {}): Promise<Descriptor[]> {
    return listReferrers(this.ctx, subject, options);
  }

  /** Fallback index maintenance, for callers that push referrers by other means or delete them. */
  addReferrer(subject: string, referrer: Descriptor, options: Signal = {}): Promise<void> {
    return addReferrer(this.ctx, subject, referrer, options.signal);
  }

  removeReferrer(subject: string, digest: string, options: Signal = {}): Promise<void> {
    return removeReferrer(this.ctx, subject, digest, options.signal);
  }
}

function subjectOf(bytes: Buffer): string | undefined {
  try {
    const subject = (JSON.parse(bytes.toString('utf8')) as { subject?: { digest?: unknown } }).subject;
    return typeof subject?.digest === 'string' ? subject.digest : undefined;
  } catch {
    return undefined;
  }
}
