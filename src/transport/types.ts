import type { Readable } from 'node:stream';
import type { Descriptor } from '../manifest/descriptor';

/**
 * The one interface every place an image can live implements (oras-go's Target, containers/image's
 * ImageSource/ImageDestination folded into two roles). The copy engine (src/copy) only talks to these.
 *
 * Call order for a destination, as containers/image documents it for PutBlob/PutManifest/Commit:
 *   1. `push` every blob and manifest, children before the manifests that name them;
 *   2. `tag` the root descriptors with their names;
 *   3. `commit` — only now does the destination become visible (store index.json replaced atomically, archive
 *      renamed into place). `abort` instead discards everything since the target was opened.
 * A destination that is dropped without commit leaves the place as it was.
 */
export interface IoOptions {
  signal?: AbortSignal;
}

/** Options of `tag`. */
export interface TagOptions extends IoOptions {
  /**
   * Children of an index deliberately left out (`--keep-index` with `--platform`): a sparse index. Targets that
   * can hold one accept these gaps; the others (registries and their storage check every child) refuse them.
   */
  omitted?: ReadonlySet<string>;
}

/** One image a target holds, with the name it is known by there (none for untagged entries). */
export interface NamedImage {
  name?: string;
  descriptor: Descriptor;
}

export interface ReadOnlyTarget {
  /** Human description for messages, e.g. `oci-archive:/tmp/a.tar`. */
  readonly description: string;
  /**
   * The blob's bytes. The stream MUST fail (KimgError DIGEST_MISMATCH / SIZE_MISMATCH) when the bytes do not
   * match `desc`: every read from anywhere is verified (wrap with digest/VerifyingStream).
   */
  fetch(desc: Descriptor, options?: IoOptions): Promise<Readable>;
  exists(desc: Descriptor, options?: IoOptions): Promise<boolean>;
  /**
   * The root descriptor (manifest or index) of the image `ref` names. `ref` is transport-specific: a name for
   * the store, the REF of `oci:DIR:REF`, `@N` for archives… With `ref` undefined a target holding exactly one
   * image returns it; otherwise it throws IMAGE_NOT_FOUND / AMBIGUOUS_IMAGE with a hint listing the names.
   */
  resolve(ref: string | undefined, options?: IoOptions): Promise<Descriptor>;
  /** Every image the target holds. */
  list(options?: IoOptions): Promise<NamedImage[]>;
  /** Releases files and handles. Safe to call twice. */
  close(): Promise<void>;
}

export interface Target extends ReadOnlyTarget {
  /**
   * Stores `content` as the blob `desc`, verifying size and digest as it is written; a mismatch rejects and
   * keeps nothing. Pushing a blob the target already has is allowed and cheap.
   */
  push(desc: Descriptor, content: Readable, options?: IoOptions): Promise<void>;
  /**
   * Records `desc` (already pushed) as a root image of the target, named `ref` once committed. With `ref`
   * undefined the image is kept untagged (an index.json entry without a name, a manifest.json entry without
   * RepoTags), so loading or saving an image by digest keeps it.
   */
  tag(desc: Descriptor, ref: string | undefined, options?: TagOptions): Promise<void>;
  commit(options?: IoOptions): Promise<void>;
  abort(): Promise<void>;
}
