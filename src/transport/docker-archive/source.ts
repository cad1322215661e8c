import { Readable } from 'node:stream';
import { KimgError } from '../../errors';
import { TarIndex, type TarIndexOptions } from '../../layer';
import type { Descriptor } from '../../manifest';
import { normalizeName } from '../../reference';
import type { ArchiveMembers } from '../archive/archive-members';
import { openVerified } from '../archive/blob-stream';
import { blobPath } from '../archive/layout-files';
import { parseSourceIndex, selectImage } from '../archive/select-image';
import type { IoOptions, NamedImage, ReadOnlyTarget } from '../types';
import { buildImage, type ArchiveImage } from './image-builder';
import { describeMember, type MemberBlob } from './layer-member';
import { readManifestJson, type DockerManifestItem } from './manifest-json';
import { readStoredManifests, type StoredManifest } from './stored-manifests';

/**
 * `docker-archive:FILE[:REF]` as a source: `docker save` output (any version since 1.10, optionally gzipped),
 * each manifest.json entry presented as an OCI image. Images are built lazily, on first resolve/list, so
 * `@N` or one name only hashes that image's legacy layers.
 */
export class DockerArchiveSource implements ReadOnlyTarget {
  readonly description: string;
  private readonly images = new Map<number, Promise<ArchiveImage>>();
  /** Images built so far: what fetch and exists can serve. */
  private readonly built: ArchiveImage[] = [];
  private readonly layers = new Map<string, Promise<MemberBlob>>();
  private storedManifests: Promise<StoredManifest[]> | undefined;

  private constructor(
    private readonly tar: ArchiveMembers,
    private readonly items: DockerManifestItem[],
  ) {
    this.description = `docker-archive:${tar.file}`;
  }

  static async open(file: string, options: TarIndexOptions = {}): Promise<DockerArchiveSource> {
    return DockerArchiveSource.fromTar(await TarIndex.open(file, options));
  }

  /** Takes ownership of `tar`. */
  static async fromTar(tar: ArchiveMembers): Promise<DockerArchiveSource> {
    try {
      return new DockerArchiveSource(tar, await readManifestJson(tar));
    } catch (err) {
      await tar.close();
      throw err;
    }
  }

  async fetch(desc: Descriptor, options: IoOptions = {}): Promise<Readable> {
    for (const image of this.built) {
      if (image.descriptor.digest === desc.digest) {
        if (desc.size !== image.manifestBytes.length) {
          throw new KimgError(
            'SIZE_MISMATCH',
            `manifest ${desc.digest} in ${this.description} is ${image.manifestBytes.length} bytes, not ${desc.size}`,
          );
        }
        return Readable.from([image.manifestBytes]);
      }
      const member = image.members.get(desc.digest);
      if (member) return openVerified(this.tar, member, desc, this.description, options.signal);
    }
    const member = blobPath(desc.digest);
    if (this.tar.has(member)) return openVerified(this.tar, member, desc, this.description, options.signal);
    throw new KimgError(
      'BLOB_UNKNOWN',
      `blob ${desc.digest} is not in ${this.description}`,
      'resolve the image first, or check that the archive is complete',
    );
  }

  async exists(desc: Descriptor): Promise<boolean> {
    for (const image of this.built) {
      if (image.descriptor.digest === desc.digest || image.members.has(desc.digest)) return true;
    }
    return this.tar.has(blobPath(desc.digest));
  }

  /** One entry per RepoTag (normalized, e.g. `docker.io/library/nginx:latest`), one unnamed entry per untagged image. */
  async list(): Promise<NamedImage[]> {
    const result: NamedImage[] = [];
    for (let i = 0; i < this.items.length; i++) {
      const { descriptor } = await this.image(i);
      const names = this.names(i);
      if (names.length === 0) result.push({ descriptor });
      for (const name of names) result.push({ name, descriptor });
    }
    return result;
  }

  /** `@N` is the N-th manifest.json entry (skopeo's docker-archive:FILE:@N); otherwise a RepoTag. */
  async resolve(ref: string | undefined): Promise<Descriptor> {
    const position = parseSourceIndex(ref);
    if (position !== undefined && position >= this.items.length) {
      throw new KimgError(
        'IMAGE_NOT_FOUND',
        `${this.description} has no image @${position}`,
        `it holds ${this.items.length} images, numbered from 0`,
      );
    }
    const chosen =
      position ??
      selectImage(
        this.description,
        this.items.map((item, i) => ({ value: i, names: item.RepoTags ?? [], key: item.Config })),
        ref,
      );
    return (await this.image(chosen)).descriptor;
  }

  async close(): Promise<void> {
    await this.tar.close();
  }

  private names(i: number): string[] {
    return (this.items[i]?.RepoTags ?? []).map((tag) => {
      try {
        return normalizeName(tag);
      } catch {
        return tag; // kept as written; the caller decides what to do with a name it cannot parse
      }
    });
  }

  private image(i: number): Promise<ArchiveImage> {
    let pending = this.images.get(i);
    if (!pending) {
      const item = this.items[i] as DockerManifestItem;
      pending = buildImage(
        this.tar,
        item,
        () => (this.storedManifests ??= readStoredManifests(this.tar)),
        (path, diffId) => this.layer(path, diffId),
      ).then(
        (image) => (this.built.push(image), image),
        (err: unknown) => {
          this.images.delete(i); // a later call retries and reports the error again
          throw err;
        },
      );
      this.images.set(i, pending);
    }
    return pending;
  }

  /** Layers shared by several images (or linked, as docker save does) are described (or hashed) once. */
  private layer(path: string, diffId: string | undefined): Promise<MemberBlob> {
    const key = `${this.tar.get(path)?.name ?? path}\n${diffId ?? ''}`;
    let pending = this.layers.get(key);
    if (!pending) {
      pending = describeMember(this.tar, path, diffId);
      this.layers.set(key, pending);
    }
    return pending;
  }
}
