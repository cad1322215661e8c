import { describe, expect, it } from '@jest/globals';
import type { ClusterImage } from '../../src/install';
import { appFolderName, checkCompatibility, orderImages, rootfsVersion } from '../../src/install';

// Which image is the rootfs, the order, and the KUBEVERSION check: pure functions over the images' labels.
function image(name: string, labels: Record<string, string> = {}): ClusterImage {
  const type = labels['sealos.io.type'];
  return {
    name,
    storeName: name,
    view: { descriptor: { digest: `sha256:${name.length.toString().padStart(64, '0')}` } },
    type: type === 'rootfs' || type === 'patch' ? type : 'application',
    typeLabelled: type !== undefined,
    labels,
    env: {},
    folder: appFolderName(name),
  } as unknown as ClusterImage;
}

const KUBE = 'app.alpha.sealer.io/supported-kube-version';

describe('install order and compatibility', () => {
  it('the labelled rootfs goes first, the rest keep their order; else the first image is the rootfs', () => {
    const app = image('a/app:1', { 'sealos.io.type': 'application' });
    const patch = image('a/patch:1', { 'sealos.io.type': 'patch' });
    const root = image('a/root:1', { 'sealos.io.type': 'rootfs' });
    expect(orderImages([app, root, patch], false).map((i) => i.name)).toEqual([
      'a/root:1',
      'a/app:1',
      'a/patch:1',
    ]);
    const unlabelled = image('plain:1');
    const ordered = orderImages([unlabelled, app], false);
    expect(ordered.map((i) => [i.name, i.type])).toEqual([
      ['plain:1', 'rootfs'],
      ['a/app:1', 'application'],
    ]);
    expect(() => orderImages([app], false)).toThrow('no rootfs image among a/app:1');
    expect(() => orderImages([root, image('b/root:1', { 'sealos.io.type': 'rootfs' })], false)).toThrow(
      'more than one rootfs image',
    );
    // The cluster already has one: everything is added after it, and another rootfs is refused.
    expect(orderImages([app], true).map((i) => i.name)).toEqual(['a/app:1']);
    expect(() => orderImages([root], true)).toThrow('the cluster already has a rootfs image');
  });

  it('KUBEVERSION ranges are checked against sealos.io.version, else the older version label', () => {
    const legacy = image('r:1', { version: 'v1.25.3' });
    expect(rootfsVersion(legacy)).toBe('v1.25.3');
    expect(rootfsVersion(image('r:2', { 'sealos.io.version': 'v1.29.9', version: 'x' }))).toBe('v1.29.9');
    const app = image('app:1', { [KUBE]: '>=1.26.0 <1.30.0' });
    expect(() => checkCompatibility('v1.29.9', 'r:2', [app])).not.toThrow();
    expect(() => checkCompatibility('v1.25.3', 'r:1', [app])).toThrow(
      'app:1 needs Kubernetes >=1.26.0 <1.30.0, but the rootfs r:1 is v1.25.3',
    );
    expect(() => checkCompatibility('1.29', 'r', [app])).not.toThrow();
    expect(() => checkCompatibility(undefined, 'r', [app])).toThrow('the rootfs r declares no version');
    expect(() => checkCompatibility('v1.29.9', 'r', [image('bad:1', { [KUBE]: 'not a range' })])).toThrow(
      'is not a semver range',
    );
    expect(() => checkCompatibility(undefined, 'r', [image('free:1')])).not.toThrow();
  });

  it('an application folder is its repository last component', () => {
    expect(appFolderName('docker.io/labring/helm:v3.9.4')).toBe('helm');
    expect(appFolderName('localhost:5000/a/b@sha256:abc')).toBe('b');
    expect(appFolderName('app')).toBe('app');
  });
});
