import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { TarIndex } from '../../src/layer';
import { MediaType, parseManifest } from '../../src/manifest';
import { DockerArchiveDestination, DockerArchiveSource } from '../../src/transport/docker-archive';
import { OciArchiveSource } from '../../src/transport/oci-archive';
import { tarOf, writeRandomImage } from '../fixtures/random-image';
import { makeTempDir, removeTempDirs, runOk, startDockerd, type RunningDockerd } from '../harness';
import { fetchImage, pushFixture, readStream } from './helpers';

let dockerd: RunningDockerd;
beforeAll(async () => {
  dockerd = await startDockerd();
}, 90_000);
afterAll(async () => {
  await dockerd?.stop();
  await removeTempDirs();
});

async function dockerLoad(file: string): Promise<void> {
  const stream = await dockerd.docker.loadImage(createReadStream(file));
  const output = await readStream(stream);
  if (/"error"/.test(output.toString())) throw new Error(`docker load failed: ${output.toString()}`);
}

describe('docker-archive source', () => {
  it('reads what skopeo writes', async () => {
    const layout = await makeTempDir();
    const image = await writeRandomImage(layout, { ref: 'one', seed: 20 });
    const file = join(await makeTempDir(), 'a.tar');
    await runOk('skopeo', ['copy', `oci:${layout}:one`, `docker-archive:${file}:example.com/app/one:v1`]);
    const source = await DockerArchiveSource.open(file);
    expect((await source.list()).map((i) => i.name)).toEqual(['example.com/app/one:v1']);
    const desc = await source.resolve('example.com/app/one:v1');
    expect(await source.resolve('@0')).toEqual(desc);
    expect(await source.resolve(undefined)).toEqual(desc);
    const { manifest, blobs } = await fetchImage(source, desc);
    expect(blobs[0]?.digest).toBe(image.configDigest);
    // skopeo stores layers uncompressed: digests are the diff IDs, and the manifest is canonical JSON.
    expect(blobs.slice(1).map((b) => b.digest)).toEqual(image.layers.map((l) => l.diffId));
    expect(blobs.slice(1).every((b) => b.mediaType === MediaType.OciLayer)).toBe(true);
    expect(manifest.toString()).toBe(JSON.stringify(JSON.parse(manifest.toString())));
    await source.close();
    const again = await DockerArchiveSource.open(file);
    expect((await again.resolve(undefined)).digest).toBe(desc.digest); // reproducible
    await again.close();
  });

  it('fails the fetch of a corrupt gzip layer, and names a missing blob', async () => {
    const layout = await makeTempDir();
    const image = await writeRandomImage(layout, { seed: 21 });
    const file = join(await makeTempDir(), 'g.tar');
    const dest = await DockerArchiveDestination.create(file);
    await pushFixture(layout, image, dest, 'app:1');
    await dest.commit();
    const layerMember = `blobs/sha256/${image.layers[1]!.digest.slice(7)}`;
    const index = await TarIndex.open(file);
    const entry = index.get(layerMember)!;
    const handle = await open(file, 'r+');
    await handle.write(Buffer.from([0xff, 0xee]), 0, 2, entry.offset + 100);
    await handle.close();

    const source = await DockerArchiveSource.open(file);
    const desc = await source.resolve('app:1');
    expect(desc.digest).toBe(image.manifestDigest); // kept verbatim from our index.json
    const layer = {
      mediaType: MediaType.OciLayerGzip,
      digest: image.layers[1]!.digest,
      size: image.layers[1]!.size,
    };
    await expect((await source.fetch(layer)).toArray()).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    await source.close();

    // manifest.json naming a layer that is not there
    const dir = await makeTempDir();
    const config = await readFile(join(layout, 'blobs/sha256', image.configDigest.slice(7)));
    const broken = await tarOf([
      { name: 'cfg.json', content: config },
      {
        name: 'manifest.json',
        content: Buffer.from(
          JSON.stringify([{ Config: 'cfg.json', RepoTags: ['x:1'], Layers: ['a/layer.tar', 'b/layer.tar'] }]),
        ),
      },
    ]);
    await writeFile(join(dir, 'broken.tar'), broken);
    const brokenSource = await DockerArchiveSource.open(join(dir, 'broken.tar'));
    await expect(brokenSource.resolve('x:1')).rejects.toMatchObject({
      code: 'BLOB_UNKNOWN',
      message: expect.stringContaining('a/layer.tar'),
    });
    await brokenSource.close();
  });
});

describe('legacy docker save archives (<id>/layer.tar)', () => {
  it('take an uncompressed layer digest from the config diff ID without hashing, and fail the fetch of a layer that lies', async () => {
    const layout = await makeTempDir();
    const image = await writeRandomImage(layout, { seed: 22, layers: 2, compression: 'none' });
    const blob = (digest: string) => readFile(join(layout, 'blobs/sha256', digest.slice(7)));
    const layers = await Promise.all(image.layers.map((l) => blob(l.digest)));
    const corrupt = Buffer.from(layers[1]!);
    corrupt[600] = (corrupt[600] as number) ^ 0xff; // inside the first file's content: still a valid tar
    const archive = (second: Buffer) =>
      tarOf([
        { name: `${image.configDigest.slice(7)}.json`, content: Buffer.from(layersConfig) },
        { name: 'one/layer.tar', content: layers[0]! },
        { name: 'two/layer.tar', content: second },
        {
          name: 'manifest.json',
          content: Buffer.from(
            JSON.stringify([
              {
                Config: `${image.configDigest.slice(7)}.json`,
                RepoTags: ['legacy:1'],
                Layers: ['one/layer.tar', 'two/layer.tar'],
              },
            ]),
          ),
        },
      ]);
    const layersConfig = await blob(image.configDigest);
    const dir = await makeTempDir();
    await writeFile(join(dir, 'good.tar'), await archive(layers[1]!));
    await writeFile(join(dir, 'bad.tar'), await archive(corrupt));

    for (const name of ['good.tar', 'bad.tar']) {
      const source = await DockerArchiveSource.open(join(dir, name));
      const desc = await source.resolve('legacy:1');
      const manifest = JSON.parse(Buffer.concat(await (await source.fetch(desc)).toArray()).toString()) as {
        layers: { digest: string }[];
      };
      // Both archives yield the same manifest: the digests are the diff IDs, whatever the bytes say.
      expect(manifest.layers.map((l) => l.digest)).toEqual(image.layers.map((l) => l.diffId));
      const second = { mediaType: MediaType.OciLayer, digest: image.layers[1]!.diffId, size: corrupt.length };
      if (name === 'good.tar') {
        expect(Buffer.concat(await (await source.fetch(second)).toArray()).equals(layers[1]!)).toBe(true);
      } else {
        await expect((await source.fetch(second)).toArray()).rejects.toMatchObject({
          code: 'DIGEST_MISMATCH',
          message: expect.stringContaining('two/layer.tar'),
        });
      }
      await source.close();
    }
  });
});

describe('docker-archive destination and the real dockerd', () => {
  it('writes archives docker load accepts, and reads docker save output back (plain and gzipped)', async () => {
    const layout = await makeTempDir();
    const gz = await writeRandomImage(layout, { seed: 30, layers: 2 });
    const plain = await writeRandomImage(layout, { seed: 31, compression: 'none', mediaTypes: 'docker' });
    const dir = await makeTempDir();
    const file = join(dir, 'ours.tar');
    const dest = await DockerArchiveDestination.create(file);
    await pushFixture(layout, gz, dest, 'docker.io/library/kimg-gz:latest');
    await pushFixture(layout, plain, dest, 'localhost:5000/a/b:1');
    await dest.tag(plain.manifestDescriptor, 'docker.io/kimgtest/plain:2');
    await dest.commit();

    const index = await TarIndex.open(file);
    const manifestJson = JSON.parse((await index.readEntry('manifest.json', 1 << 20)).toString());
    expect(manifestJson.map((m: { RepoTags: string[] }) => m.RepoTags)).toEqual([
      ['kimg-gz:latest'],
      ['localhost:5000/a/b:1', 'kimgtest/plain:2'],
    ]);
    // The same file is an OCI layout too.
    const asOci = await OciArchiveSource.open(file);
    expect((await asOci.resolve('docker.io/library/kimg-gz:latest')).digest).toBe(gz.manifestDigest);
    await asOci.close();

    await dockerLoad(file);
    for (const [name, image] of [
      ['kimg-gz:latest', gz],
      ['localhost:5000/a/b:1', plain],
      ['kimgtest/plain:2', plain],
    ] as const) {
      const info = await dockerd.docker.getImage(name).inspect();
      expect(info.Id).toBe(image.configDigest);
      expect(info.RootFS.Layers).toEqual(image.layers.map((l) => l.diffId));
    }

    const saved = join(dir, 'saved.tar');
    await pipeline(await dockerd.docker.getImage('kimg-gz:latest').get(), createWriteStream(saved));
    await writeFile(join(dir, 'saved.tar.gz'), gzipSync(await readFile(saved)));
    for (const name of ['saved.tar', 'saved.tar.gz']) {
      const source = await DockerArchiveSource.open(join(dir, name), { tmpDir: dir });
      expect((await source.list()).map((i) => i.name)).toEqual(['docker.io/library/kimg-gz:latest']);
      const { blobs } = await fetchImage(source, await source.resolve('kimg-gz'));
      expect(blobs.map((b) => b.digest)).toEqual([gz.configDigest, ...gz.layers.map((l) => l.diffId)]);
      await source.close();
    }
  }, 120_000);

  it('refuses to tag a multi-platform index', async () => {
    const layout = await makeTempDir();
    const image = await writeRandomImage(layout, { seed: 40 });
    const dest = await DockerArchiveDestination.create(join(await makeTempDir(), 'i.tar'));
    await pushFixture(layout, image, dest, undefined);
    const indexBytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciIndex,
        manifests: [image.manifestDescriptor],
      }),
    );
    const { digestOf } = await import('../../src/digest');
    const indexDesc = {
      mediaType: MediaType.OciIndex,
      digest: digestOf(indexBytes),
      size: indexBytes.length,
    };
    expect(parseManifest(indexBytes).kind).toBe('index');
    await dest.push(indexDesc, (await import('node:stream')).Readable.from([indexBytes]));
    await expect(dest.tag(indexDesc, 'multi:1')).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      hint: expect.stringContaining('--platform'),
    });
    await dest.abort();
  });
});
