import type { Readable } from 'node:stream';
import { openVerifiedFile } from './blob-file';
import { KimgError } from '../errors';
import type { Descriptor } from '../manifest';
import { pathExists } from '../fs/atomic-file';
import { descriptorOf, removeDigest, untagName } from './index-edits';
import { emptyIndex, entryName, readIndexFile, writeIndexFile, type IndexFile } from './index-file';
import { checkLayoutFile, ensureLayout } from './layout-file';
import { withLayoutLock, type LockOptions } from './lock';
import type { NamePolicy } from './name-policy';
import { LayoutPaths } from './paths';
import { pruneLayout, sweepLeftovers, type PruneOptions, type PruneResult } from './prune';
import { resolveIn, type Resolved } from './resolve';

export interface OciLayoutOptions {
  lock?: LockOptions;
}

/** One index.json entry as callers see it (structurally transport/types NamedImage; store does not import transport). */
export interface LayoutImage {
  name?: string;
  descriptor: Descriptor;
}

/** What `deleteImage` did, for `kimg rmi` to print like docker: "Untagged: …" then "Deleted: …". */
export interface DeleteResult {
  untagged: string[];
  /** Set when the image itself (every entry of its digest) left the index. Its blobs go at the next prune. */
  deleted?: string;
}

/**
 * An OCI image layout directory (image-spec image-layout.md) with kimg's write discipline: reads take no lock
 * and never create anything; every index.json change is read-modify-write under the inter-process lock with an
 * atomic replace. Blobs arrive only through transactions (commit.ts; the Target is transport/oci-layout/layout-target.ts).
 */
export class OciLayout {
  readonly paths: LayoutPaths;

  constructor(
    root: string,
    readonly policy: NamePolicy,
    readonly description: string,
    readonly options: OciLayoutOptions = {},
  ) {
    this.paths = new LayoutPaths(root);
  }

  get root(): string {
    return this.paths.root;
  }

  /** The index; an absent layout reads as empty. */
  async readIndex(): Promise<IndexFile> {
    await checkLayoutFile(this.paths);
    return (await readIndexFile(this.paths)) ?? emptyIndex();
  }

  async list(): Promise<LayoutImage[]> {
    const index = await this.readIndex();
    return index.manifests.map((entry) => {
      const name = entryName(entry);
      return name === undefined
        ? { descriptor: descriptorOf(entry) }
        : { name, descriptor: descriptorOf(entry) };
    });
  }

  async find(ref: string | undefined): Promise<Resolved> {
    return resolveIn(await this.readIndex(), ref, this.policy, this.description);
  }

  async resolve(ref: string | undefined): Promise<Descriptor> {
    const { entries } = await this.find(ref);
    // find() never returns an empty entry list; the check satisfies noUncheckedIndexedAccess.
    const entry = entries[0];
    if (!entry)
      throw new KimgError(
        'IMAGE_NOT_FOUND',
        `no image "${ref ?? ''}" in ${this.description}`,
        this.policy.listHint,
      );
    return descriptorOf(entry);
  }

  /** The blob's bytes through a VerifyingStream; opened before returning so a missing blob rejects here. */
  fetch(desc: Descriptor, file = this.paths.blob(desc.digest)): Promise<Readable> {
    return openVerifiedFile(file, desc, this.description, this.root);
  }

  /**
   * Runs `edit` on a fresh read of index.json under the lock and writes the result atomically (only if `edit`
   * returned a new object). The layout is created here if needed: this is the first write. An invalid
   * index.json throws before anything changes. `edit` calls ensureLayout itself before writing blobs.
   */
  async update<T>(
    edit: (index: IndexFile, assertHeld: () => void) => Promise<{ index: IndexFile; result: T }>,
  ): Promise<T> {
    return withLayoutLock(
      this.paths,
      async (assertHeld) => {
        await checkLayoutFile(this.paths);
        const before = (await readIndexFile(this.paths)) ?? emptyIndex();
        const { index, result } = await edit(before, assertHeld);
        if (index !== before) {
          assertHeld();
          await ensureLayout(this.paths);
          await writeIndexFile(this.paths, index);
        }
        return result;
      },
      this.options.lock,
    );
  }

  /** Removes one name; the image stays as an untagged entry if that was its last name (see index-edits.ts). */
  async untag(ref: string): Promise<string> {
    const name = this.policy.normalize(ref);
    await this.requireIndex(name);
    return this.update(async (index) => {
      if (!index.manifests.some((e) => entryName(e) === name)) {
        throw new KimgError(
          'IMAGE_NOT_FOUND',
          `no image "${name}" in ${this.description}`,
          this.policy.listHint,
        );
      }
      return { index: untagName(index, name), result: name };
    });
  }

  /**
   * docker rmi semantics: by name, an image with other names only loses that name; by its last name, a digest or
   * an ID, every entry of the image goes. Blobs are left for prune (the lock is not held across the sweep here).
   */
  async deleteImage(ref: string): Promise<DeleteResult> {
    await this.requireIndex(ref);
    return this.update<DeleteResult>(async (index) => {
      const found = resolveIn(index, ref, this.policy, this.description);
      const names = found.entries.map(entryName).filter((n): n is string => n !== undefined);
      if (found.name !== undefined && names.length > 1) {
        return { index: untagName(index, found.name), result: { untagged: [found.name] } };
      }
      return { index: removeDigest(index, found.digest), result: { untagged: names, deleted: found.digest } };
    });
  }

  async prune(options: PruneOptions = {}): Promise<PruneResult> {
    if (!(await pathExists(this.paths.indexFile)))
      return {
        removedBlobs: [],
        freedBytes: 0,
        removedEntries: 0,
        ...(await sweepLeftovers(this.paths, options)),
      };
    // pruneLayout writes the index itself, before sweeping; update sees the same object and writes nothing.
    return this.update(async (index, assertHeld) => ({
      index,
      result: await pruneLayout(this.paths, index, assertHeld, options),
    }));
  }

  /** Store verbs on an absent store fail without creating it (taking the lock would create `.kimg/`). */
  private async requireIndex(ref: string): Promise<void> {
    if (!(await pathExists(this.paths.indexFile))) {
      throw new KimgError(
        'IMAGE_NOT_FOUND',
        `no image "${ref}" in ${this.description}`,
        this.policy.listHint,
      );
    }
  }
}
