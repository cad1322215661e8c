import { afterAll, describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { MediaType, REF_NAME_ANNOTATION, type Descriptor } from '../../src/manifest';
import { openLocalStore } from '../../src/transport/local';
import { openOciLayout } from '../../src/transport/oci-layout';
import type { Target } from '../../src/transport/types';
import { makeTempDir, removeTempDirs, run } from '../harness';
import { copyGraph, sha256, streamOf } from './helpers';
import { sourceImage } from './setup';

afterAll(removeTempDirs);

async function pushBytes(target: Target, mediaType: string, data: string): Promise<Descriptor> {
  const desc = { mediaType, digest: sha256(data), size: Buffer.byteLength(data) };
  await target.push(desc, streamOf(data));
  return desc;
}

describe('oci: layout transport', () => {
  it('keeps REF verbatim as skopeo does, and resolves the only image without a ref', async () => {
    const { fixture, source } = await sourceImage({ seed: 41 });
    const dir = join(await makeTempDir('kimg-oci-'), 'layout');
    const layout = openOciLayout(dir);
    await copyGraph(source, fixture.manifestDescriptor, layout);
    await layout.tag(fixture.manifestDescriptor, 'latest');
    await layout.commit();
    const index = JSON.parse(await fs.readFile(join(dir, 'index.json'), 'utf8'));
    expect(index.manifests[0].annotations).toEqual({ [REF_NAME_ANNOTATION]: 'latest' });
    expect(await layout.resolve(undefined)).toEqual(fixture.manifestDescriptor);
    expect(await layout.resolve('latest')).toEqual(fixture.manifestDescriptor);
    await expect(layout.resolve('docker.io/library/latest:latest')).rejects.toMatchObject({
      code: 'IMAGE_NOT_FOUND',
    });
    await expect(layout.tag(fixture.manifestDescriptor, 'not valid')).rejects.toMatchObject({
      code: 'INVALID_REFERENCE',
    });
    expect((await run('skopeo', ['inspect', `oci:${dir}:latest`])).code).toBe(0);
  });

  it('reads a layout another tool wrote (the fixture generator) and copies it into the store', async () => {
    const { fixture, source, dir } = await sourceImage({
      seed: 42,
      mediaTypes: 'docker',
      compression: 'none',
    });
    expect(await source.list()).toEqual([{ name: 'src', descriptor: fixture.manifestDescriptor }]);
    const store = openLocalStore(join(await makeTempDir('kimg-store-'), 'root'));
    await copyGraph(openOciLayout(dir), await source.resolve('src'), store);
    await store.tag(await source.resolve(undefined), 'quay.io/org/app:v1');
    await store.commit();
    expect(await store.resolve('quay.io/org/app:v1')).toEqual(fixture.manifestDescriptor);
  });
});

describe('image indexes and artifacts', () => {
  it('checks the whole graph of an index before committing, and prune keeps what an index references', async () => {
    const amd = await sourceImage({ seed: 43, architecture: 'amd64' });
    const arm = await sourceImage({ seed: 44, architecture: 'arm64' });
    const root = join(await makeTempDir('kimg-store-'), 'root');
    const store = openLocalStore(root);
    const indexJson = JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: [
        { ...amd.fixture.manifestDescriptor, platform: { architecture: 'amd64', os: 'linux' } },
        { ...arm.fixture.manifestDescriptor, platform: { architecture: 'arm64', os: 'linux' } },
      ],
    });
    await copyGraph(amd.source, amd.fixture.manifestDescriptor, store);
    const index = await pushBytes(store, MediaType.OciIndex, indexJson);
    await store.tag(index, 'multi:1');
    await expect(store.commit()).rejects.toMatchObject({
      code: 'BLOB_UNKNOWN',
      message: expect.stringContaining(arm.fixture.manifestDigest),
    });
    expect(await store.list()).toEqual([]);

    await copyGraph(arm.source, arm.fixture.manifestDescriptor, store);
    await store.commit();
    expect(await store.resolve('multi:1')).toEqual(index);
    expect((await store.prune()).removedBlobs).toEqual([]);
    expect(await fs.readdir(join(root, 'blobs', 'sha256'))).toHaveLength(1 + 2 * 4);
  });

  it('treats blobs of unknown media types as leaves and keeps them', async () => {
    const root = join(await makeTempDir('kimg-store-'), 'root');
    const store = openLocalStore(root);
    const payload = await pushBytes(store, 'application/vnd.example.thing', 'not json at all');
    const config = await pushBytes(store, MediaType.OciEmpty, '{}');
    const manifest = await pushBytes(
      store,
      MediaType.OciManifest,
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        artifactType: 'application/vnd.example',
        config,
        layers: [payload],
      }),
    );
    await store.tag(manifest, 'registry.example.com/artifact:1');
    const stray = await pushBytes(store, 'application/octet-stream', 'garbage');
    await store.commit();
    const pruned = await store.prune();
    expect(pruned.removedBlobs).toEqual([stray.digest]);
    expect(pruned.freedBytes).toBe(stray.size);
  });
});
