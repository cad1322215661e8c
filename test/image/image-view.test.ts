import { afterAll, describe, expect, it } from '@jest/globals';
import { openImageView } from '../../src/image/image-view';
import { openOciLayout } from '../../src/transport/oci-layout';
import { writeMultiArchLayout } from '../fixtures/multi-arch';
import { writeRandomImage } from '../fixtures/random-image';
import { makeTempDir, removeTempDirs } from '../harness/temp';

afterAll(removeTempDirs);

describe('image view: one platform of an image, one walk', () => {
  it('picks the platform child of an index (arm64 matches arm64/v8) and reads its config and layers', async () => {
    const dir = await makeTempDir('kimg-view-');
    const fixture = await writeMultiArchLayout(dir, 'multi');
    const target = openOciLayout(dir);
    try {
      const view = await openImageView(target, fixture.index, {
        platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
      });
      const arm = fixture.children[1];
      expect(view.index?.descriptor.digest).toBe(fixture.index.digest);
      expect(view.descriptor.digest).toBe(arm?.manifestDigest);
      expect(view.layers.map((l) => l.digest)).toEqual(arm?.layers.map((l) => l.digest));
      expect(view.platform).toEqual({ os: 'linux', architecture: 'arm64' });
      expect(view.config.rootfs.diff_ids).toEqual(arm?.layers.map((l) => l.diffId));
    } finally {
      await target.close();
    }
  });

  it('an index without a platform, or without the platform asked for, is PLATFORM_NOT_FOUND naming what it has', async () => {
    const dir = await makeTempDir('kimg-view-');
    const fixture = await writeMultiArchLayout(dir, 'multi');
    const target = openOciLayout(dir);
    try {
      await expect(openImageView(target, fixture.index, { name: 'app' })).rejects.toMatchObject({
        code: 'PLATFORM_NOT_FOUND',
        message: 'app is a multi-platform index and no platform was given',
      });
      await expect(
        openImageView(target, fixture.index, {
          name: 'app',
          platform: { os: 'linux', architecture: 's390x' },
          platformHint: 'pick another',
        }),
      ).rejects.toMatchObject({
        message: 'app has no linux/s390x image',
        hint: 'it has: linux/amd64, linux/arm64; pick another',
      });
    } finally {
      await target.close();
    }
  });

  it('a single image is its own view, whatever platform is asked', async () => {
    const dir = await makeTempDir('kimg-view-');
    const image = await writeRandomImage(dir, { ref: 'one', seed: 3 });
    const target = openOciLayout(dir);
    try {
      const view = await openImageView(target, image.manifestDescriptor);
      expect(view.index).toBeUndefined();
      expect(view.descriptor.digest).toBe(image.manifestDigest);
      expect(view.manifest.config.digest).toBe(image.configDigest);
    } finally {
      await target.close();
    }
  });
});
