import { promises as fs } from 'node:fs';
import type { Readable } from 'node:stream';
import { KimgError } from '../../errors';
import type { Descriptor } from '../../manifest';
import { Ingest, LayoutPaths, openVerifiedFile, pathExists } from '../../store';
import type { IoOptions, NamedImage, TagOptions, Target } from '../types';

import { commitImages, type PendingImage } from './commit';
import { RegistryDirPaths } from './paths';
import { repositoryRef } from './repositories';
import { listImages, resolveImage } from './resolve';

/**
 * `registry-dir:DIR[:REF]`: the storage of the CNCF distribution registry's filesystem driver, read and written
 * so that `docker-registry` with `rootdirectory: DIR` serves it. Writes are a transaction like the store's:
 * pushes are verified into `DIR/.kimg/ingest/<txid>/` (the registry never looks outside `docker/`), `tag`
 * remembers repository and tag, and only `commit` moves blobs and writes links. Reads see committed state plus
 * this transaction's staged blobs (the copy engine may read back a manifest it pushed).
 */
export class RegistryDirTarget implements Target {
  readonly description: string;
  readonly paths: RegistryDirPaths;
  private readonly staging: LayoutPaths;
  private ingest: Ingest;
  /** Keyed by repository and tag (a digest ref by a key of its own), in call order; a re-tag moves last. */
  private pending = new Map<string, PendingImage>();
  private byDigest = 0;

  constructor(readonly dir: string) {
    this.description = `registry-dir:${dir}`;
    this.paths = new RegistryDirPaths(dir);
    this.staging = new LayoutPaths(dir);
    this.ingest = new Ingest(this.staging);
  }

  async fetch(desc: Descriptor, _options?: IoOptions): Promise<Readable> {
    const file = this.ingest.stagedPath(desc.digest) ?? this.paths.blobData(desc.digest);
    return openVerifiedFile(file, desc, this.description, this.dir);
  }

  async exists(desc: Descriptor, _options?: IoOptions): Promise<boolean> {
    return this.ingest.blobs.has(desc.digest) || pathExists(this.paths.blobData(desc.digest));
  }

  resolve(ref: string | undefined, _options?: IoOptions): Promise<Descriptor> {
    return resolveImage(this.paths, ref, this.description);
  }

  list(_options?: IoOptions): Promise<NamedImage[]> {
    return listImages(this.paths, this.description);
  }

  push(desc: Descriptor, content: Readable, options: IoOptions = {}): Promise<void> {
    return this.ingest.stageUnlessPresent(desc, content, () => this.exists(desc), options.signal);
  }

  /**
   * `ref` names the repository and tag (`quay.io/a/b:1` → `a/b`, tag `1`; no tag → `latest`); a ref by digest
   * only links the image into the repository. Parsed now, so a bad name fails before any commit work.
   * `options.omitted`: children of an index left out on purpose (a sparse index, as embedding writes for the
   * build's platform): the commit links the index and the children it has, and does not ask for the others.
   */
  async tag(desc: Descriptor, ref: string | undefined, options?: TagOptions): Promise<void> {
    if (ref === undefined) {
      throw new KimgError(
        'INVALID_ARGUMENT',
        `${this.description} cannot keep an unnamed image: every image of a registry lives in a repository`,
        `name it, e.g. ${this.description}:app:1`,
      );
    }
    const { repository, tag, digest } = repositoryRef(ref);
    if (digest !== undefined && digest !== desc.digest) {
      throw new KimgError('INVALID_ARGUMENT', `cannot store ${desc.digest} in ${this.description} as ${ref}`);
    }
    const image: PendingImage = {
      repository,
      desc,
      ...(digest === undefined && { tag: tag ?? 'latest' }),
      ...(options?.omitted && options.omitted.size > 0 && { omitted: options.omitted }),
    };
    // A Map, not an array filtered per call: an archive with 10,000 names tags 10,000 times.
    const key = image.tag === undefined ? `\0digest ${this.byDigest++}` : `${image.repository}:${image.tag}`;
    this.pending.delete(key);
    this.pending.set(key, image);
  }

  async commit(options: IoOptions = {}): Promise<void> {
    await this.ingest.settled();
    await commitImages(this.paths, this.ingest, [...this.pending.values()], this.description, options.signal);
    await this.reset();
  }

  async abort(): Promise<void> {
    await this.ingest.settled();
    await this.reset();
  }

  /** Dropping a target without commit leaves the dir as it was (types.ts), so close discards pending work. */
  async close(): Promise<void> {
    await this.abort();
  }

  private async reset(): Promise<void> {
    this.pending = new Map();
    await this.ingest.remove();
    this.ingest = new Ingest(this.staging);
    // Leave no kimg state in what a cluster image embeds: remove .kimg/ingest and .kimg once they are empty
    // (rmdir fails on a non-empty dir, e.g. another process's transaction, and that is fine).
    for (const dir of [this.staging.ingestDir, this.staging.kimgDir])
      await fs.rmdir(dir).catch(() => undefined);
  }
}
