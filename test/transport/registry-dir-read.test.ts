import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openRegistryDir, type RegistryDirTarget } from '../../src/transport/registry-dir';
import { makeTempDir, removeTempDirs, skopeo, startRegistry } from '../harness';
import { writeRandomImage, type FixtureImage } from '../fixtures/random-image';
import { copyToLayout, readBytes } from './registry-dir-fixtures';
import { writeMultiArchLayout, type MultiArchFixture } from '../fixtures/multi-arch';

// The reverse direction: skopeo pushes into the REAL docker-registry whose storage is a dir, and our
// registry-dir source reads that dir directly (what `kimg` does with the registry/ of a cluster image).
let image: FixtureImage;
let multi: MultiArchFixture;
let target: RegistryDirTarget;

beforeAll(async () => {
  const layout = await makeTempDir();
  const multiLayout = await makeTempDir();
  image = await writeRandomImage(layout, { ref: '1', seed: 21 });
  multi = await writeMultiArchLayout(multiLayout, 'multi', 30);
  const storage = await makeTempDir('kimg-registry-dir-');
  const registry = await startRegistry({ storageDir: storage });
  try {
    const push = async (source: string, dest: string, all = false): Promise<void> => {
      const args = ['copy', '--dest-tls-verify=false', ...(all ? ['--all'] : [])];
      const result = await skopeo([...args, source, `docker://${registry.host}/${dest}`]);
      expect(result.code).toBe(0);
    };
    await push(`oci:${layout}:1`, 'pushed/app:v1');
    await push(`oci:${layout}:1`, 'solo:latest');
    await push(`oci:${multiLayout}:multi`, 'multi/index:1', true);
  } finally {
    await registry.stop();
  }
  target = openRegistryDir(storage);
});
afterAll(async () => {
  await target?.close();
  await removeTempDirs();
});

describe('registry-dir source over a dir the real registry wrote', () => {
  it('lists every repository:tag', async () => {
    const names = (await target.list()).map((entry) => [entry.name, entry.descriptor.digest]);
    expect(names).toEqual([
      ['multi/index:1', multi.index.digest],
      ['pushed/app:v1', image.manifestDigest],
      ['solo:latest', image.manifestDigest],
    ]);
  });

  it('resolves tags, digests and hostful names to the pushed manifest', async () => {
    const byTag = await target.resolve('pushed/app:v1');
    expect(byTag).toEqual(image.manifestDescriptor);
    expect((await target.resolve(`quay.io/pushed/app@${image.manifestDigest}`)).digest).toBe(
      image.manifestDigest,
    );
    // `solo` is docker.io/library/solo:latest; skopeo stored it as the bare repository `solo`.
    expect((await target.resolve('solo')).digest).toBe(image.manifestDigest);
  });

  it('fetch returns verified bytes, and the copy engine reads a whole image out', async () => {
    const manifest = await readBytes(await target.fetch(image.manifestDescriptor));
    expect(manifest.length).toBe(image.manifestDescriptor.size);
    expect((await copyToLayout(target, 'pushed/app:v1', await makeTempDir())).digest).toBe(
      image.manifestDigest,
    );
  });

  it('reads a multi-arch index with every child', async () => {
    const copied = await copyToLayout(target, 'multi/index:1', await makeTempDir());
    expect(copied).toEqual(multi.index);
    for (const child of multi.children) expect(await target.exists(child.manifestDescriptor)).toBe(true);
  });

  it('with no ref and several images, says which ones there are', async () => {
    await expect(target.resolve(undefined)).rejects.toMatchObject({
      code: 'AMBIGUOUS_IMAGE',
      hint: expect.stringContaining('pushed/app:v1'),
    });
  });

  it('a missing repository is IMAGE_NOT_FOUND listing the repositories', async () => {
    await expect(target.resolve('nope/x:1')).rejects.toMatchObject({
      code: 'IMAGE_NOT_FOUND',
      message: expect.stringContaining('nope/x'),
      hint: 'its repositories: multi/index, pushed/app, solo',
    });
  });

  it('a missing tag is IMAGE_NOT_FOUND listing the tags', async () => {
    await expect(target.resolve('pushed/app:v2')).rejects.toMatchObject({
      code: 'IMAGE_NOT_FOUND',
      hint: 'its tags: v1',
    });
  });
});
