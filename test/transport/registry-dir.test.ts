import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { transfer } from '../../src/copy';
import { parseImageLocation } from '../../src/reference';
import { locationRef, openDestination, openSource } from '../../src/transport/open';
import { openOciLayout } from '../../src/transport/oci-layout';
import { openRegistryDir, RegistryDirPaths } from '../../src/transport/registry-dir';
import { makeTempDir, removeTempDirs, treeHash } from '../harness';
import { writeRandomImage, type FixtureImage } from '../fixtures/random-image';
import { copyLayoutToRegistryDir, readBytes } from './registry-dir-fixtures';

// Transactions and damaged input, without a registry process: the layout itself is proven against the real
// registry in registry-dir-serve.test.ts and registry-dir-read.test.ts.
let layout: string;
let image: FixtureImage;

beforeAll(async () => {
  layout = await makeTempDir();
  image = await writeRandomImage(layout, { ref: '1', seed: 41 });
});
afterAll(removeTempDirs);

async function blobOf(digest: string): Promise<Buffer> {
  return readFile(join(layout, 'blobs/sha256', digest.slice('sha256:'.length)));
}

describe('registry-dir transactions', () => {
  it('with exactly one tag in the dir, resolve(undefined) returns it', async () => {
    const dir = await makeTempDir();
    await copyLayoutToRegistryDir(layout, '1', dir, ['app']);
    const target = openRegistryDir(dir);
    expect(await target.resolve(undefined)).toEqual(image.manifestDescriptor);
    expect((await target.list()).map((entry) => entry.name)).toEqual(['library/app:latest']);
  });

  it('is opened from registry-dir:DIR:REF, as kimg copy will', async () => {
    const location = parseImageLocation(`registry-dir:${await makeTempDir()}:quay.io/a/b:1`);
    const name = locationRef(location);
    expect(name).toBe('quay.io/a/b:1');
    const destination = await openDestination(location, {});
    await transfer(openOciLayout(layout), destination, [{ ref: '1', names: [name as string] }]);
    const source = await openSource(location, {});
    expect((await source.list()).map((entry) => entry.name)).toEqual(['a/b:1']);
    expect((await source.resolve(name)).digest).toBe(image.manifestDigest);
  });

  it('abort after pushes leaves the dir as it was', async () => {
    const dir = await makeTempDir();
    const before = await treeHash(dir);
    const target = openRegistryDir(dir);
    const layer = image.layers[0] as FixtureImage['layers'][number];
    await target.push(layer, Readable.from([await blobOf(layer.digest)]));
    expect(await target.exists(layer)).toBe(true);
    await target.abort();
    expect(await treeHash(dir)).toBe(before);
  });

  it('commit of an image with a blob never pushed is BLOB_UNKNOWN and writes nothing', async () => {
    const dir = await makeTempDir();
    const before = await treeHash(dir);
    const target = openRegistryDir(dir);
    const manifest = await blobOf(image.manifestDigest);
    await target.push(image.manifestDescriptor, Readable.from([manifest]));
    await target.tag(image.manifestDescriptor, 'app:1');
    await expect(target.commit()).rejects.toMatchObject({ code: 'BLOB_UNKNOWN' });
    await target.abort();
    expect(await treeHash(dir)).toBe(before);
  });

  it('refuses an unnamed image: a registry keeps images in repositories', async () => {
    const target = openRegistryDir(await makeTempDir());
    await expect(target.tag(image.manifestDescriptor, undefined)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('a push whose bytes do not match is rejected and keeps nothing', async () => {
    const dir = await makeTempDir();
    const before = await treeHash(dir);
    const target = openRegistryDir(dir);
    const layer = image.layers[0] as FixtureImage['layers'][number];
    const wrong = Buffer.alloc(layer.size, 1);
    await expect(target.push(layer, Readable.from([wrong]))).rejects.toMatchObject({
      code: 'DIGEST_MISMATCH',
    });
    expect(await target.exists(layer)).toBe(false);
    await target.abort();
    expect(await treeHash(dir)).toBe(before);
  });

  it('a corrupt blob data file is DIGEST_MISMATCH on fetch', async () => {
    const dir = await makeTempDir();
    await copyLayoutToRegistryDir(layout, '1', dir, ['app:1']);
    const layer = image.layers[1] as FixtureImage['layers'][number];
    const file = new RegistryDirPaths(dir).blobData(layer.digest);
    const bytes = await readFile(file);
    bytes[10] = (bytes[10] ?? 0) ^ 0xff;
    await writeFile(file, bytes);
    const target = openRegistryDir(dir);
    await expect(readBytes(await target.fetch(layer))).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
  });

  it('a corrupt manifest data file is DIGEST_MISMATCH on resolve', async () => {
    const dir = await makeTempDir();
    await copyLayoutToRegistryDir(layout, '1', dir, ['app:1']);
    const file = new RegistryDirPaths(dir).blobData(image.manifestDigest);
    await writeFile(file, (await readFile(file, 'utf8')).replace('"schemaVersion":2', '"schemaVersion": 2'));
    await expect(openRegistryDir(dir).resolve('app:1')).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
  });

  it('re-tagging moves the tag and keeps the old revision in the tag index', async () => {
    const dir = await makeTempDir();
    const other = await makeTempDir();
    const second = await writeRandomImage(other, { ref: '2', seed: 42 });
    await copyLayoutToRegistryDir(layout, '1', dir, ['app:1']);
    await copyLayoutToRegistryDir(other, '2', dir, ['app:1']);
    const paths = new RegistryDirPaths(dir);
    expect((await openRegistryDir(dir).resolve('app:1')).digest).toBe(second.manifestDigest);
    expect(await readFile(paths.tagIndexLink('library/app', '1', image.manifestDigest), 'utf8')).toBe(
      image.manifestDigest,
    );
  });
});
