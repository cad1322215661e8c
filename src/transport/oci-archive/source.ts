import type { Readable } from 'node:stream';
import { KimgError } from '../../errors';
import { TarIndex, type TarIndexOptions } from '../../layer';
import {
  CONTAINERD_IMAGE_NAME_ANNOTATION,
  REF_NAME_ANNOTATION,
  type Descriptor,
  type ImageIndex,
} from '../../manifest';
import type { ArchiveMembers } from '../archive/archive-members';
import { openVerified } from '../archive/blob-stream';
import { blobPath, readLayoutIndex } from '../archive/layout-files';
import { parseSourceIndex, selectImage } from '../archive/select-image';
import type { IoOptions, NamedImage, ReadOnlyTarget } from '../types';

/**
 * `oci-archive:FILE[:REF]` as a source: a tar of an OCI image layout (image-spec image-layout.md), read in place
 * through a TarIndex — nothing is extracted, each blob is served from its offset and verified as it flows.
 */
export class OciArchiveSource implements ReadOnlyTarget {
  readonly description: string;

  private constructor(
    private readonly tar: ArchiveMembers,
    private readonly index: ImageIndex,
  ) {
    this.description = `oci-archive:${tar.file}`;
  }

  static async open(file: string, options: TarIndexOptions = {}): Promise<OciArchiveSource> {
    return OciArchiveSource.fromTar(await TarIndex.open(file, options));
  }

  /** Takes ownership of `tar` (closed with the source, also when reading the layout fails). */
  static async fromTar(tar: ArchiveMembers): Promise<OciArchiveSource> {
    try {
      return new OciArchiveSource(tar, await readLayoutIndex(tar));
    } catch (err) {
      await tar.close();
      throw err;
    }
  }

  async fetch(desc: Descriptor, options: IoOptions = {}): Promise<Readable> {
    const member = blobPath(desc.digest);
    if (!this.tar.has(member)) {
      throw new KimgError(
        'BLOB_UNKNOWN',
        `blob ${desc.digest} is not in ${this.description}`,
        'the archive is incomplete; produce it again',
      );
    }
    return openVerified(this.tar, member, desc, this.description, options.signal);
  }

  async exists(desc: Descriptor): Promise<boolean> {
    return this.tar.has(blobPath(desc.digest));
  }

  /**
   * Names are those of index.json entries: containerd's full image name (Docker 25+ and nerdctl write it) when
   * present, else the image-spec ref.name annotation (skopeo, umoci, kimg write that).
   */
  async list(): Promise<NamedImage[]> {
    return this.index.manifests.map((descriptor) => {
      const name =
        descriptor.annotations?.[CONTAINERD_IMAGE_NAME_ANNOTATION] ??
        descriptor.annotations?.[REF_NAME_ANNOTATION];
      return name === undefined ? { descriptor } : { name, descriptor };
    });
  }

  /** REF matches ref.name exactly (skopeo's rule), else a name with the same normalized form; `@N` picks entry N. */
  async resolve(ref: string | undefined): Promise<Descriptor> {
    const position = parseSourceIndex(ref);
    if (position !== undefined) {
      const entry = this.index.manifests[position];
      if (!entry)
        throw new KimgError(
          'IMAGE_NOT_FOUND',
          `${this.description} has no image @${position}`,
          `it holds ${this.index.manifests.length} entries, numbered from 0`,
        );
      return entry;
    }
    const candidates = this.index.manifests.map((descriptor) => ({
      value: descriptor as Descriptor,
      key: descriptor.digest,
      names: [
        descriptor.annotations?.[REF_NAME_ANNOTATION],
        descriptor.annotations?.[CONTAINERD_IMAGE_NAME_ANNOTATION],
      ].filter((name): name is string => name !== undefined),
    }));
    return selectImage(this.description, candidates, ref);
  }

  async close(): Promise<void> {
    await this.tar.close();
  }
}
