import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ClusterDirs } from '../cluster';
import { KimgError } from '../errors';
import { sniffFileCompression, TarIndex } from '../layer';
import { formatByteSize } from '../unpack';
import type { LayoutPaths } from '../store';
import type { ClusterImage } from './cluster-image';

/**
 * How many times its size a compressed layer is counted when its unpacked size cannot be read without inflating
 * it: gzip and zstd shrink binaries and text 2–4× (a Kubernetes rootfs layer: ~2.6×), so 4 errs on the side of
 * refusing early over failing halfway through.
 */
export const COMPRESSED_LAYER_ESTIMATE = 4;

/** Per image: the bytes its unpacked tree needs, with and without registry/ (served from the store). */
export interface UnpackedSize {
  total: number;
  withoutRegistry: number;
}

/**
 * An image's unpacked size: an uncompressed layer's members are summed from its tar headers (`TarIndex`, headers
 * only), so an embedded registry/ is counted exactly; a compressed one is estimated (COMPRESSED_LAYER_ESTIMATE).
 */
export async function unpackedSize(image: ClusterImage, paths: LayoutPaths): Promise<UnpackedSize> {
  const size: UnpackedSize = { total: 0, withoutRegistry: 0 };
  for (const layer of image.view.layers) {
    const file = paths.blob(layer.digest);
    if ((await sniffFileCompression(file)) !== 'none') {
      size.total += layer.size * COMPRESSED_LAYER_ESTIMATE;
      size.withoutRegistry += layer.size * COMPRESSED_LAYER_ESTIMATE;
      continue;
    }
    // A layer the header scan refuses is counted at its size; the unpacker names what is wrong with it.
    const index = await TarIndex.open(file).catch(() => undefined);
    if (!index) {
      size.total += layer.size;
      size.withoutRegistry += layer.size;
      continue;
    }
    try {
      for (const entry of index.entries()) {
        size.total += entry.size;
        if (entry.name.split('/')[0] !== ClusterDirs.registry) size.withoutRegistry += entry.size;
      }
    } finally {
      await index.close();
    }
  }
  return size;
}

/** Free bytes on the file system that holds `path` (or its nearest existing parent). */
export async function freeBytes(path: string): Promise<number> {
  for (let dir = path; ; dir = dirname(dir)) {
    try {
      const stats = await statfs(dir);
      return stats.bavail * stats.bsize;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(dir) === dir) throw err;
    }
  }
}

/** Refuses, before anything is written, when `needed` bytes do not fit below `target`. */
export async function checkFreeSpace(target: string, needed: number): Promise<void> {
  const free = await freeBytes(target);
  if (needed > free) {
    throw new KimgError(
      'NO_SPACE',
      `installing into ${target} needs ${formatByteSize(needed)} (${needed} bytes) and its file system has ${formatByteSize(free)} (${free} bytes) free`,
      'free space there, or install into another --target',
    );
  }
}
