import { ClusterDirs } from '../../cluster';
import { selectPlatforms } from '../../copy/platform-selection';
import { KimgError } from '../../errors';
import { sniffFileCompression, TarIndex } from '../../layer';
import { hostPlatform, MAX_MANIFEST_BYTES, parseManifest, type Platform } from '../../manifest';
import { LayoutPaths } from '../../store';
import { openLocalStore } from '../../transport/local';
import { readBlob } from '../../transport/read-blob';
import { compressedLayerTouches } from './compressed-layer-scan';
import { LayeredTarStorage, type IndexedLayer } from './layered-tar-storage';

export interface ImageStorageOptions {
  /** The local store (default: $KIMG_ROOT …, as every command). */
  storeRoot: string;
  /** Which image of a multi-platform cluster image (default: the host's): each platform embeds its own images. */
  platform?: Platform;
}

/**
 * The `registry/` folder of a cluster image in the local store, served in place: its uncompressed layer blobs are
 * indexed (headers only) and merged; nothing is unpacked or copied (DESIGN.md: `registry/` is stored as an
 * uncompressed layer for this). A compressed layer that has anything under `registry/` cannot be read at an
 * offset, so it is refused with a clear error rather than inflated to a second copy on disk.
 */
export async function openImageStorage(
  image: string | readonly string[],
  options: ImageStorageOptions,
): Promise<LayeredTarStorage> {
  // Several images (kimg install: the rootfs and each app may embed images) are served as one registry, their
  // layers merged in the order given, as sealos merges every image's registry/ into one folder.
  const images = typeof image === 'string' ? [image] : image;
  const shown = images.join(', ');
  const store = openLocalStore(options.storeRoot);
  const paths = new LayoutPaths(options.storeRoot);
  const indexes: TarIndex[] = [];
  try {
    const layers: IndexedLayer[] = [];
    const roots: string[] = [];
    for (const name of images) {
      roots.push(
        await indexRegistryLayers(
          name,
          store,
          paths,
          { ...options, several: images.length > 1 },
          layers,
          indexes,
        ),
      );
    }
    const storage = await LayeredTarStorage.open(
      `image ${shown} (${roots.join(', ')})`,
      layers,
      ClusterDirs.registry,
    );
    if (!storage) {
      throw new KimgError(
        'IMAGE_NOT_FOUND',
        `${shown} has no ${ClusterDirs.registry}/ folder: it embeds no container images`,
        'build it from a context whose charts, manifests or images/shim name images, with --save-images',
      );
    }
    return storage;
  } finally {
    await Promise.all(indexes.map((index) => index.close()));
    await store.close();
  }
}

/** Indexes the uncompressed layers of `image` into `layers` (and `indexes`, closed by the caller); its root digest. */
async function indexRegistryLayers(
  image: string,
  store: ReturnType<typeof openLocalStore>,
  paths: LayoutPaths,
  options: ImageStorageOptions & { several: boolean },
  layers: IndexedLayer[],
  indexes: TarIndex[],
): Promise<string> {
  const root = await store.resolve(image);
  const selected = await selectPlatforms(store, root, {
    kind: 'platforms',
    platforms: [options.platform ?? hostPlatform()],
  });
  const bytes = await readBlob(store, selected.root, MAX_MANIFEST_BYTES);
  const parsed = parseManifest(
    bytes,
    selected.root.mediaType,
    `manifest ${selected.root.digest} of ${image}`,
  );
  if (parsed.kind !== 'manifest') {
    throw new KimgError('MANIFEST_INVALID', `${image}: ${selected.root.digest} is an index inside an index`);
  }
  let number = 0;
  for (const layer of parsed.manifest.layers) {
    number++;
    const file = paths.blob(layer.digest);
    const short = `layer ${number} (${layer.digest})`;
    // Several images merged: a layer is named with its image (the served files' errors say which).
    const label = options.several ? `${image} ${short}` : short;
    const compression = await sniffFileCompression(file);
    if (compression !== 'none') {
      if (await compressedLayerTouches(file, compression, ClusterDirs.registry)) {
        throw new KimgError(
          'UNSUPPORTED',
          `${image}: ${short} is ${compression}-compressed and holds ${ClusterDirs.registry}/; it can only be served in place from an uncompressed layer`,
          `rebuild the image with \`kimg build --compression none\`, or unpack ${ClusterDirs.registry}/ and serve the folder: \`kimg registry serve DIR\``,
        );
      }
      continue;
    }
    const index = await TarIndex.open(file);
    indexes.push(index);
    layers.push({ label, index });
  }
  return selected.root.digest;
}
