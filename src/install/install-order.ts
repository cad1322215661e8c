import { satisfies, valid, validRange, coerce } from 'semver';
import { ClusterLabels } from '../cluster';
import { KimgError } from '../errors';
import type { ClusterImage } from './cluster-image';

/**
 * The order sealos installs images in (`sealos run`: the rootfs first, then patch and application images in
 * command-line order) with kimg's rule for which image is the rootfs: the one labelled `sealos.io.type=rootfs`,
 * else the first image, unless the cluster already has one (then every image is a patch or an application).
 */
export function orderImages(images: readonly ClusterImage[], hasRootfs: boolean): ClusterImage[] {
  const labelledRoots = images.filter((image) => image.typeLabelled && image.type === 'rootfs');
  if (labelledRoots.length > 1) {
    throw new KimgError(
      'USAGE',
      `more than one rootfs image: ${labelledRoots.map((image) => image.name).join(', ')}`,
      'install one rootfs image (sealos.io.type=rootfs) per cluster; patch and application images go after it',
    );
  }
  if (hasRootfs && labelledRoots.length > 0) {
    throw new KimgError(
      'USAGE',
      `the cluster already has a rootfs image; ${labelledRoots[0]?.name} is another one`,
      'uninstall the cluster first, or install into another --cluster',
    );
  }
  if (hasRootfs) return [...images];
  const first = images[0];
  const root =
    labelledRoots[0] ?? (first && !first.typeLabelled ? { ...first, type: 'rootfs' as const } : undefined);
  if (!root) {
    throw new KimgError(
      'USAGE',
      `no rootfs image among ${images.map((image) => image.name).join(', ')}`,
      'name the Kubernetes rootfs image (sealos.io.type=rootfs) first, then the applications',
    );
  }
  return [root, ...images.filter((image) => image.name !== root.name)];
}

/** The Kubernetes version a rootfs image declares (`sealos.io.version`, else the older `version` label). */
export function rootfsVersion(image: ClusterImage): string | undefined {
  return image.labels[ClusterLabels.version] ?? image.labels[ClusterLabels.legacyVersion];
}

/**
 * Compatibility before any change: each image's Kubernetes range (sealer's KUBEVERSION label) must contain the
 * rootfs version, compared with semver (`v1.29.9` and `1.29` are coerced, as sealer's semver check does). An image
 * with a range and a rootfs without a version is refused too: nothing could be checked.
 */
export function checkCompatibility(
  rootVersion: string | undefined,
  rootName: string,
  images: readonly ClusterImage[],
): void {
  for (const image of images) {
    const range = image.labels[ClusterLabels.kubeVersion];
    if (range === undefined || range.trim() === '') continue;
    if (validRange(range) === null) {
      throw new KimgError(
        'INSTALL_INCOMPATIBLE',
        `${image.name}: its Kubernetes range "${range}" (label ${ClusterLabels.kubeVersion}) is not a semver range`,
        'rebuild the image with KUBEVERSION set to a range such as ">=1.27 <1.31"',
      );
    }
    const version =
      rootVersion === undefined ? undefined : (valid(rootVersion) ?? coerce(rootVersion)?.version);
    if (version === undefined) {
      throw new KimgError(
        'INSTALL_INCOMPATIBLE',
        `${image.name} needs Kubernetes ${range}, but the rootfs ${rootName} declares no version (labels ${ClusterLabels.version} or ${ClusterLabels.legacyVersion})`,
        'install it on a rootfs image that labels its Kubernetes version',
      );
    }
    if (!satisfies(version, range, { includePrerelease: true })) {
      throw new KimgError(
        'INSTALL_INCOMPATIBLE',
        `${image.name} needs Kubernetes ${range}, but the rootfs ${rootName} is ${rootVersion}`,
        `install a rootfs whose version is in ${range}, or a version of ${image.name} made for ${rootVersion}`,
      );
    }
  }
}
