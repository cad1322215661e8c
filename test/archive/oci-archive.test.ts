import { afterAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { isKimgError } from '../../src/errors';
import { MediaType } from '../../src/manifest';
import { OciArchiveDestination, OciArchiveSource } from '../../src/transport/oci-archive';
import { writeRandomImage } from '../fixtures/random-image';
import { makeTempDir, removeTempDirs, runOk } from '../harness';
import { fetchImage, pushFixture } from './helpers';

afterAll(removeTempDirs);

describe('oci-archive source', () => {
  it('reads what skopeo writes, keeping the manifest digest', async () => {
    const layout = await makeTempDir();
    const one = await writeRandomImage(layout, { ref: 'one', seed: 1, layers: 3 });
    const two = await writeRandomImage(layout, { ref: 'two', seed: 2, mediaTypes: 'docker' });
    const file = join(await makeTempDir(), 'a.tar');
    await runOk('skopeo', ['copy', `oci:${layout}:one`, `oci-archive:${file}:one`]);

    const source = await OciArchiveSource.open(file);
    expect((await source.list()).map((i) => i.name)).toEqual(['one']);
    const desc = await source.resolve('one');
    expect(desc.digest).toBe(one.manifestDigest);
    expect(await source.resolve(undefined)).toEqual(desc);
    const { blobs } = await fetchImage(source, desc);
    expect(blobs.map((b) => b.digest)).toEqual([one.configDigest, ...one.layers.map((l) => l.digest)]);
    await expect(source.resolve('three')).rejects.toMatchObject({ code: 'IMAGE_NOT_FOUND' });
    await source.close();

    // Our destination holds several images; resolve needs a name then.
    const many = join(await makeTempDir(), 'many.tar');
    const dest = await OciArchiveDestination.create(many);
    await pushFixture(layout, one, dest, 'docker.io/library/one:latest');
    await pushFixture(layout, two, dest, 'two');
    await dest.commit();
    const both = await OciArchiveSource.open(many);
    await expect(both.resolve(undefined)).rejects.toMatchObject({ code: 'AMBIGUOUS_IMAGE' });
    expect((await both.resolve('one')).digest).toBe(one.manifestDigest); // normalized match
    expect((await both.resolve('two')).digest).toBe(two.manifestDigest); // exact ref.name
    expect((await both.resolve('@1')).digest).toBe(two.manifestDigest);
    await fetchImage(both, await both.resolve('two'));
    await both.close();
  });

  it('fails reads of corrupt or missing blobs', async () => {
    const layout = await makeTempDir();
    const image = await writeRandomImage(layout, { ref: 'x', seed: 3 });
    const file = join(await makeTempDir(), 'b.tar');
    const dest = await OciArchiveDestination.create(file);
    // Push the manifest and config but not the layers: a manifest naming missing blobs.
    const manifest = await readFile(join(layout, 'blobs/sha256', image.manifestDigest.slice(7)));
    const config = JSON.parse(manifest.toString()).config;
    await dest.push(
      config,
      Readable.from([await readFile(join(layout, 'blobs/sha256', image.configDigest.slice(7)))]),
    );
    await dest.push(image.manifestDescriptor, Readable.from([manifest]));
    await dest.tag(image.manifestDescriptor, 'x');
    await dest.commit();
    const source = await OciArchiveSource.open(file);
    const layer = {
      mediaType: MediaType.OciLayerGzip,
      digest: image.layers[0]!.digest,
      size: image.layers[0]!.size,
    };
    await expect(source.fetch(layer)).rejects.toMatchObject({
      code: 'BLOB_UNKNOWN',
      message: expect.stringContaining(layer.digest),
    });
    // A descriptor whose size differs from the member's fails the read.
    const wrongSize = await source.fetch({ ...config, size: config.size + 1 });
    await expect(wrongSize.toArray()).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
    await source.close();
  });
});

describe('oci-archive destination', () => {
  it('writes archives skopeo and umoci read, reproducibly', async () => {
    const layout = await makeTempDir();
    const one = await writeRandomImage(layout, { ref: 'one', seed: 10 });
    const two = await writeRandomImage(layout, { ref: 'two', seed: 11, compression: 'none' });
    const dir = await makeTempDir();
    const write = async (name: string) => {
      const dest = await OciArchiveDestination.create(join(dir, name));
      await pushFixture(layout, one, dest, 'one');
      await pushFixture(layout, one, dest, 'one-again'); // duplicate blobs are skipped
      await pushFixture(layout, two, dest, 'two');
      expect(existsSync(join(dir, name))).toBe(false); // nothing visible before commit
      await dest.commit();
    };
    await write('a.tar');
    await write('b.tar');
    expect((await readFile(join(dir, 'a.tar'))).equals(await readFile(join(dir, 'b.tar')))).toBe(true);
    expect((await readdir(dir)).sort()).toEqual(['a.tar', 'b.tar']);

    const inspect = JSON.parse(
      (await runOk('skopeo', ['inspect', `oci-archive:${join(dir, 'a.tar')}:two`])).stdout,
    );
    expect(inspect.Digest).toBe(two.manifestDigest);
    expect(inspect.Layers).toEqual(two.layers.map((l) => l.digest));
    const out = await makeTempDir();
    await runOk('skopeo', ['copy', `oci-archive:${join(dir, 'a.tar')}:one-again`, `oci:${out}:copied`]);
    const index = JSON.parse(await readFile(join(out, 'index.json'), 'utf8'));
    expect(index.manifests[0].digest).toBe(one.manifestDigest);
    const extracted = await makeTempDir();
    await runOk('tar', ['-xf', join(dir, 'a.tar'), '-C', extracted]);
    const listing = await runOk('umoci', ['ls', '--layout', extracted]);
    expect(listing.stdout.split('\n').filter(Boolean).sort()).toEqual(['one', 'one-again', 'two']);
  });

  it('fails a push whose bytes do not match, and abort leaves nothing', async () => {
    const layout = await makeTempDir();
    const image = await writeRandomImage(layout, { ref: 'x', seed: 12 });
    const dir = await makeTempDir();
    const dest = await OciArchiveDestination.create(join(dir, 'c.tar'));
    const layer = { mediaType: MediaType.OciLayerGzip, digest: image.layers[0]!.digest, size: 4 };
    const err = await dest.push(layer, Readable.from([Buffer.from('abcd')])).catch((e: unknown) => e);
    expect(isKimgError(err, 'DIGEST_MISMATCH')).toBe(true);
    await expect(
      dest.push({ ...layer, digest: image.configDigest }, Readable.from([Buffer.from('abcd')])),
    ).rejects.toMatchObject({ code: 'ARCHIVE_INVALID' });
    await dest.abort();
    expect(await readdir(dir)).toEqual([]);
  });
});
