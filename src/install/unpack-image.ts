import { mkdir } from 'node:fs/promises';
import { UnpackBudget, unpackTar, type UnpackLimits } from '../unpack';
import type { LocalStore } from '../transport/local';
import { inRegistryFolder, type ClusterImage } from './cluster-image';

export interface UnpackImageOptions {
  store: LocalStore;
  /** Leave registry/ in the store (it is served from there). */
  skipRegistry: boolean;
  limits?: Partial<UnpackLimits>;
  signal?: AbortSignal;
}

/**
 * Unpacks an image's layers in order into `dir` with the one safe unpacker (src/unpack): every blob read
 * verified, whiteouts applied, nothing outside `dir`, caps shared by the image's layers. As root, owners and
 * setuid/setgid bits are kept (a rootfs' binaries are root's, as `sealos run` leaves them); otherwise files are
 * the user's and setid bits are stripped. Devices and FIFOs are never made: a host install has no use for
 * them and a device node in a target would be a door to the host's disks.
 */
export async function unpackImage(
  image: ClusterImage,
  dir: string,
  options: UnpackImageOptions,
): Promise<string[]> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const root = process.getuid?.() === 0;
  const budget = new UnpackBudget(options.limits);
  const skipped: string[] = [];
  let number = 0;
  for (const layer of image.view.layers) {
    number += 1;
    const stream = await options.store.fetch(layer, options.signal ? { signal: options.signal } : {});
    const result = await unpackTar(stream, dir, {
      what: `${image.name} layer ${number} (${layer.digest})`,
      whiteouts: true,
      budget,
      ownership: root ? 'keep' : 'ignore',
      setid: root ? 'keep' : 'strip',
      specialFiles: 'skip',
      ...(options.skipRegistry && { skip: inRegistryFolder }),
      ...(options.signal && { signal: options.signal }),
    });
    skipped.push(...result.skipped);
  }
  return skipped;
}
