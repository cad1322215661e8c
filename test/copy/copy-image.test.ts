import { afterAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { copyFromTarget, copyImage } from '../../src/copy';
import { openOciLayout } from '../../src/transport/oci-layout';
import { openLocalStore } from '../../src/transport/local';
import { writeRandomImage } from '../fixtures/random-image';
import { makeTempDir, removeTempDirs } from '../harness/temp';

afterAll(removeTempDirs);

describe('copyImage: the one copy call for library users', () => {
  it('copies between two locations given as text, named as the destination says, byte for byte', async () => {
    const dir = await makeTempDir('kimg-copy-image-');
    const image = await writeRandomImage(join(dir, 'src'), { ref: 'app', seed: 7, layers: 2 });
    const root = join(dir, 'store');
    const result = await copyImage(`oci:${join(dir, 'src')}:app`, 'example.com/team/app:1', {
      open: { storeRoot: root },
    });
    expect(result.images[0]?.descriptor.digest).toBe(image.manifestDigest);
    expect(result.images[0]?.names).toEqual(['example.com/team/app:1']);
    const store = openLocalStore(root);
    try {
      expect((await store.resolve('example.com/team/app:1')).digest).toBe(image.manifestDigest);
    } finally {
      await store.close();
    }
  });

  it('copies from a target the caller holds, by descriptor, with the names asked for', async () => {
    const dir = await makeTempDir('kimg-copy-image-');
    const image = await writeRandomImage(join(dir, 'src'), { ref: 'app', seed: 8, layers: 1 });
    const source = openOciLayout(join(dir, 'src'));
    try {
      await copyFromTarget(source, { descriptor: image.manifestDescriptor }, `oci:${join(dir, 'dst')}`, {
        open: {},
        names: ['v1', 'v2'],
      });
    } finally {
      await source.close();
    }
    const copied = openOciLayout(join(dir, 'dst'));
    try {
      expect((await copied.resolve('v1')).digest).toBe(image.manifestDigest);
      expect((await copied.resolve('v2')).digest).toBe(image.manifestDigest);
    } finally {
      await copied.close();
    }
  });

  it('a missing source image fails and the destination is left without it', async () => {
    const dir = await makeTempDir('kimg-copy-image-');
    await writeRandomImage(join(dir, 'src'), { ref: 'app', seed: 9, layers: 1 });
    await expect(
      copyImage(`oci:${join(dir, 'src')}:nope`, `oci:${join(dir, 'dst')}:x`, { open: {} }),
    ).rejects.toMatchObject({ code: 'IMAGE_NOT_FOUND' });
  });
});
