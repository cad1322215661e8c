import { digestOf } from '../../src/digest';
import { isKimgError } from '../../src/errors';
import { MediaType } from '../../src/manifest/media-types';
import { removeTempDirs, startRegistry, type RunningRegistry } from '../harness';
import { imageManifest, pushImage, testClient } from './helpers';

describe('manifests against docker-registry', () => {
  let registry: RunningRegistry;
  const { client } = testClient();

  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => {
    await client.close();
    await registry?.stop();
    await removeTempDirs();
  });

  it('puts and gets a manifest by tag and by digest, byte-exact', async () => {
    const image = await pushImage(client, registry.host, 'manifests/app', 'v1', 'app');
    const repo = client.repository(registry.host, 'manifests/app');
    const byTag = await repo.getManifest('v1');
    expect(byTag.bytes).toEqual(image.bytes);
    expect(byTag.descriptor).toEqual(image.manifest);
    const byDigest = await repo.getManifest(image.manifest.digest);
    expect(byDigest.descriptor).toEqual(image.manifest);
    expect(await repo.headManifest('v1')).toEqual(image.manifest);
    expect(await repo.headManifest(image.manifest.digest)).toEqual(image.manifest);
    expect(await repo.headManifest('nope')).toBeUndefined();
  });

  it('pushes a manifest by digest and an index of it', async () => {
    const image = await pushImage(client, registry.host, 'manifests/multi', 'amd64', 'multi');
    const repo = client.repository(registry.host, 'manifests/multi', { push: true });
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciIndex,
        manifests: [{ ...image.manifest, platform: { architecture: 'amd64', os: 'linux' } }],
      }),
    );
    const pushed = await repo.putManifest(digestOf(index), index, MediaType.OciIndex);
    expect(pushed.digest).toBe(digestOf(index));
    await repo.putManifest('latest', index, MediaType.OciIndex);
    const fetched = await repo.getManifest('latest');
    expect(fetched.descriptor).toEqual({
      mediaType: MediaType.OciIndex,
      digest: digestOf(index),
      size: index.length,
    });
  });

  it('names an unknown tag MANIFEST_UNKNOWN with a hint', async () => {
    await pushImage(client, registry.host, 'manifests/known', 'v1', 'known');
    const err = await client
      .repository(registry.host, 'manifests/known')
      .getManifest('missing')
      .catch((e: unknown) => e);
    expect(isKimgError(err, 'MANIFEST_UNKNOWN')).toBe(true);
    expect((err as Error).message).toContain('manifests/known:missing');
    expect((err as { hint?: string }).hint).toMatch(/tag/);
  });

  it('refuses a manifest whose content does not hash to the digest asked for', async () => {
    const repo = client.repository(registry.host, 'manifests/known');
    const wrong = digestOf('something else');
    const err = await repo.getManifest(wrong).catch((e: unknown) => e);
    // The registry does not have it: 404. A lying registry is covered through the fault proxy.
    expect(isKimgError(err, 'MANIFEST_UNKNOWN')).toBe(true);
  });

  it('refuses to put bytes under a digest they do not hash to', async () => {
    const repo = client.repository(registry.host, 'manifests/known', { push: true });
    const { bytes } = imageManifest({ mediaType: MediaType.OciConfig, digest: digestOf('x'), size: 1 }, []);
    await expect(repo.putManifest(digestOf('other'), bytes, MediaType.OciManifest)).rejects.toMatchObject({
      code: 'DIGEST_MISMATCH',
    });
  });

  it('deletes a manifest by digest', async () => {
    const image = await pushImage(client, registry.host, 'manifests/delete', 'v1', 'delete');
    const repo = client.repository(registry.host, 'manifests/delete', { push: true });
    await repo.deleteManifest(image.manifest.digest);
    expect(await repo.headManifest(image.manifest.digest)).toBeUndefined();
    expect(await repo.headManifest('v1')).toBeUndefined();
  });
});
