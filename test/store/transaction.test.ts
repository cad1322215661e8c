import { afterAll, describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { isKimgError } from '../../src/errors';
import { REF_NAME_ANNOTATION } from '../../src/manifest';
import { openLocalStore } from '../../src/transport/local';
import { makeTempDir, removeTempDirs } from '../harness';
import { copyGraph, listFilesRecursive, readAllBytes, sha256, streamOf, treeHash } from './helpers';
import { sourceImage } from './setup';

afterAll(removeTempDirs);

async function storeRoot(): Promise<string> {
  return join(await makeTempDir('kimg-store-'), 'root');
}

describe('store transactions', () => {
  it('lists an absent store as empty without creating it', async () => {
    const root = await storeRoot();
    const store = openLocalStore(root);
    expect(await store.list()).toEqual([]);
    await expect(store.resolve('x:1')).rejects.toMatchObject({ code: 'IMAGE_NOT_FOUND' });
    await expect(fs.stat(root)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('push, tag and commit, then list, resolve by name, digest and ID prefix, and fetch', async () => {
    const { fixture, source } = await sourceImage({ seed: 11 });
    const root = await storeRoot();
    const store = openLocalStore(root);
    await copyGraph(source, fixture.manifestDescriptor, store);
    await store.tag(fixture.manifestDescriptor, 'x:1');
    expect(await store.list()).toEqual([]); // nothing visible before commit
    await store.commit();

    expect(await store.list()).toEqual([
      { name: 'docker.io/library/x:1', descriptor: fixture.manifestDescriptor },
    ]);
    expect(await store.resolve('x:1')).toEqual(fixture.manifestDescriptor);
    expect(await store.resolve('docker.io/library/x:1')).toEqual(fixture.manifestDescriptor);
    expect(await store.resolve(fixture.manifestDigest)).toEqual(fixture.manifestDescriptor);
    expect(await store.resolve(fixture.manifestDigest.slice(7, 19))).toEqual(fixture.manifestDescriptor);
    await expect(store.resolve('x:2')).rejects.toMatchObject({
      code: 'IMAGE_NOT_FOUND',
      hint: expect.stringContaining('kimg images'),
    });

    const layer = fixture.layers[0]!;
    const bytes = await readAllBytes(
      await store.fetch({ mediaType: layer.mediaType, digest: layer.digest, size: layer.size }),
    );
    expect(sha256(bytes)).toBe(layer.digest);
    const index = JSON.parse(await fs.readFile(join(root, 'index.json'), 'utf8'));
    expect(index.manifests[0].annotations[REF_NAME_ANNOTATION]).toBe('docker.io/library/x:1');
    expect(JSON.parse(await fs.readFile(join(root, 'oci-layout'), 'utf8'))).toEqual({
      imageLayoutVersion: '1.0.0',
    });
    expect(await listFilesRecursive(join(root, '.kimg', 'ingest'))).toEqual([]);
  });

  it('fetch of a missing blob is BLOB_UNKNOWN and a corrupted blob fails the stream', async () => {
    const { fixture, source } = await sourceImage({ seed: 12 });
    const root = await storeRoot();
    const store = openLocalStore(root);
    await copyGraph(source, fixture.manifestDescriptor, store);
    await store.tag(fixture.manifestDescriptor, 'x:1');
    await store.commit();
    await expect(store.fetch({ mediaType: 'x', digest: sha256('nope'), size: 4 })).rejects.toMatchObject({
      code: 'BLOB_UNKNOWN',
    });
    const layer = fixture.layers[0]!;
    const file = join(root, 'blobs', 'sha256', layer.digest.slice(7));
    await fs.chmod(file, 0o644);
    await fs.writeFile(file, Buffer.alloc(layer.size));
    const stream = await store.fetch({ mediaType: layer.mediaType, digest: layer.digest, size: layer.size });
    await expect(readAllBytes(stream)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
  });

  it('refuses to commit an image with a missing blob and changes nothing', async () => {
    const { fixture, source } = await sourceImage({ seed: 13 });
    const root = await storeRoot();
    const store = openLocalStore(root);
    const other = await sourceImage({ seed: 14 });
    await copyGraph(other.source, other.fixture.manifestDescriptor, store);
    await store.tag(other.fixture.manifestDescriptor, 'other');
    await store.commit();
    const before = await treeHash(root);

    const missing = fixture.layers[1]!;
    await store.push(fixture.manifestDescriptor, await source.fetch(fixture.manifestDescriptor));
    const layer0 = fixture.layers[0]!;
    const layer0Desc = { mediaType: layer0.mediaType, digest: layer0.digest, size: layer0.size };
    await store.push(layer0Desc, await source.fetch(layer0Desc));
    await store.tag(fixture.manifestDescriptor, 'x:1');
    const error = await store.commit().catch((err: unknown) => err);
    expect(isKimgError(error, 'BLOB_UNKNOWN')).toBe(true);
    expect((error as Error).message).toContain('docker.io/library/x:1');
    // The walk stops at the first missing blob: the config or layer 1, whichever is found first.
    expect((error as Error).message).toMatch(new RegExp(`${fixture.configDigest}|${missing.digest}`));
    expect(await treeHash(root)).toEqual(before);
    await store.abort();
    expect(await treeHash(root)).toEqual(before);
    expect(await listFilesRecursive(join(root, '.kimg', 'ingest'))).toEqual([]);
  });

  it('rejects a push whose bytes do not match and keeps nothing', async () => {
    const root = await storeRoot();
    const store = openLocalStore(root);
    const good = Buffer.from('hello world');
    const desc = { mediaType: 'application/octet-stream', digest: sha256(good), size: good.length };
    await expect(store.push(desc, streamOf('hello WORLD'))).rejects.toMatchObject({
      code: 'DIGEST_MISMATCH',
    });
    await expect(store.push(desc, streamOf('hello world!!'))).rejects.toMatchObject({
      code: 'SIZE_MISMATCH',
    });
    expect(await store.exists(desc)).toBe(false);
    const staged = (await listFilesRecursive(join(root, '.kimg', 'ingest'))).filter(
      (f) => !f.endsWith('owner.json'),
    );
    expect(staged).toEqual([]);
    await store.commit(); // nothing to commit
    expect(await listFilesRecursive(join(root, 'blobs'))).toEqual([]);
    await store.push(desc, streamOf(good));
    expect(await store.exists(desc)).toBe(true);
  });

  it('abort leaves nothing behind', async () => {
    const { fixture, source } = await sourceImage({ seed: 15 });
    const root = await storeRoot();
    const store = openLocalStore(root);
    await copyGraph(source, fixture.manifestDescriptor, store);
    await store.tag(fixture.manifestDescriptor, 'x:1');
    expect(await store.exists(fixture.manifestDescriptor)).toBe(true);
    await store.abort();
    expect(await store.exists(fixture.manifestDescriptor)).toBe(false);
    expect(await store.list()).toEqual([]);
    expect(await listFilesRecursive(root)).toEqual([]);
    // The target is reusable after abort.
    await copyGraph(source, fixture.manifestDescriptor, store);
    await store.tag(fixture.manifestDescriptor, 'x:1');
    await store.commit();
    expect((await store.list()).map((i) => i.name)).toEqual(['docker.io/library/x:1']);
  });

  it('keeps an untagged root when tag is called without a name', async () => {
    const { fixture, source } = await sourceImage({ seed: 16 });
    const store = openLocalStore(await storeRoot());
    await copyGraph(source, fixture.manifestDescriptor, store);
    await store.tag(fixture.manifestDescriptor, undefined);
    await store.commit();
    expect(await store.list()).toEqual([{ descriptor: fixture.manifestDescriptor }]);
    expect(await store.resolve(undefined)).toEqual(fixture.manifestDescriptor);
  });
});
