import { encodedPart } from '../../digest';
import { KimgError } from '../../errors';
import {
  CONTAINERD_IMAGE_NAME_ANNOTATION,
  isIndexMediaType,
  parseManifest,
  REF_NAME_ANNOTATION,
  type Descriptor,
  type ImageManifest,
} from '../../manifest';
import {
  familiarName,
  formatReference,
  parseReference,
  withDefaultTag,
  type ImageReference,
} from '../../reference';
import { ArchiveDestination, type ArchiveDestinationOptions } from '../archive/archive-destination';
import { blobPath, encodeLayoutIndex, OCI_INDEX_FILE } from '../archive/layout-files';
import type { IoOptions, NamedImage } from '../types';
import { MANIFEST_JSON_FILE, REPOSITORIES_FILE } from './manifest-json';

interface SavedImage {
  descriptor: Descriptor;
  manifest: ImageManifest;
  /** Normalized tagged references, in tag order. */
  refs: ImageReference[];
}

/**
 * `docker-archive:FILE[:REF]` as a destination, in the layout Docker 25 writes and every `docker load` since
 * 1.10 reads: manifest.json whose Config and Layers are `blobs/sha256/<hex>` members (old loaders only follow
 * the paths; moby tarexport/load.go), the legacy `repositories` file, and `oci-layout` + `index.json`, so the
 * same file is also an OCI layout. Layers are stored as pushed: docker load decompresses gzip itself
 * (load.go: archive.DecompressStream) and checks each layer against the config's diff_ids.
 */
export class DockerArchiveDestination extends ArchiveDestination {
  private readonly images: SavedImage[] = [];

  static async create(
    file: string,
    options: ArchiveDestinationOptions = {},
  ): Promise<DockerArchiveDestination> {
    const destination = new DockerArchiveDestination(file, `docker-archive:${file}`);
    await destination.start(options);
    return destination;
  }

  async tag(desc: Descriptor, ref: string | undefined, _options?: IoOptions): Promise<void> {
    this.assertOpen();
    const image = this.imageFor(desc);
    if (ref === undefined) return; // untagged: the manifest.json entry exists without RepoTags
    const parsed = parseReference(ref);
    if (parsed.digest !== undefined && parsed.tag === undefined) {
      throw new KimgError(
        'INVALID_ARGUMENT',
        `docker-archive cannot name an image by digest ("${ref}")`,
        'give a tag instead, e.g. name:latest (RepoTags hold tags only)',
      );
    }
    const tagged = withDefaultTag({
      domain: parsed.domain,
      path: parsed.path,
      ...(parsed.tag !== undefined ? { tag: parsed.tag } : {}),
    });
    const full = formatReference(tagged);
    // A tag names one image (as in the daemon): tagging again moves it.
    for (const other of this.images) other.refs = other.refs.filter((r) => formatReference(r) !== full);
    image.refs.push(tagged);
  }

  async list(): Promise<NamedImage[]> {
    return this.images.flatMap((image): NamedImage[] =>
      image.refs.length === 0
        ? [{ descriptor: image.descriptor }]
        : image.refs.map((r) => ({ name: formatReference(r), descriptor: image.descriptor })),
    );
  }

  protected metadataFiles(): { name: string; data: Buffer }[] {
    const manifestJson = this.images.map((image) => ({
      Config: blobPath(image.manifest.config.digest),
      RepoTags: image.refs.length === 0 ? null : image.refs.map(familiarName),
      Layers: image.manifest.layers.map((layer) => blobPath(layer.digest)),
    }));
    // `repositories`: {familiar repo: {tag: top layer id}}; Docker 25 uses the top layer's blob hex as the id.
    const repositories: Record<string, Record<string, string>> = {};
    for (const image of this.images) {
      const top = image.manifest.layers[image.manifest.layers.length - 1];
      if (!top) continue;
      for (const r of image.refs) {
        const repo = familiarName({ domain: r.domain, path: r.path });
        (repositories[repo] ??= {})[r.tag as string] = encodedPart(top.digest);
      }
    }
    const index = this.images.flatMap((image): Descriptor[] => {
      const base = {
        mediaType: image.descriptor.mediaType,
        digest: image.descriptor.digest,
        size: image.descriptor.size,
      };
      if (image.refs.length === 0) return [base];
      return image.refs.map((r) => ({
        ...base,
        annotations: {
          [CONTAINERD_IMAGE_NAME_ANNOTATION]: formatReference(r),
          [REF_NAME_ANNOTATION]: r.tag as string,
        },
      }));
    });
    return [
      { name: MANIFEST_JSON_FILE, data: Buffer.from(JSON.stringify(manifestJson)) },
      { name: REPOSITORIES_FILE, data: Buffer.from(JSON.stringify(repositories)) },
      { name: OCI_INDEX_FILE, data: encodeLayoutIndex(index) },
    ];
  }

  /** The image entry for `desc`, created on first tag after checking the whole image was pushed. */
  private imageFor(desc: Descriptor): SavedImage {
    const existing = this.images.find((image) => image.descriptor.digest === desc.digest);
    if (existing) return existing;
    const unsupported = () =>
      new KimgError(
        'UNSUPPORTED',
        `${desc.digest} is a multi-platform index; a docker-archive holds single-platform images only`,
        'choose one platform with --platform',
      );
    if (isIndexMediaType(desc.mediaType)) throw unsupported();
    this.requirePushed(desc, 'manifest');
    const bytes = this.jsonBlobs.get(desc.digest);
    if (!bytes)
      throw new KimgError(
        'MANIFEST_INVALID',
        `${desc.digest} (${desc.mediaType}) is not an image manifest`,
        'a docker-archive holds container images only',
      );
    const parsed = parseManifest(bytes, desc.mediaType, `manifest ${desc.digest}`);
    if (parsed.kind === 'index') throw unsupported();
    this.requirePushed(parsed.manifest.config, 'config');
    for (const layer of parsed.manifest.layers) this.requirePushed(layer, 'layer');
    const image: SavedImage = { descriptor: desc, manifest: parsed.manifest, refs: [] };
    this.images.push(image);
    return image;
  }
}
