import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { transfer } from '../../src/copy';
import { MediaType, parseImageConfig, parseManifest, type Descriptor } from '../../src/manifest';
import { parseImageLocation } from '../../src/reference';
import { DockerDaemonDestination, DockerDaemonSource } from '../../src/transport/docker-daemon';
import { openOciLayout } from '../../src/transport/oci-layout';
import { locationRef, openDestination, openSource } from '../../src/transport/open';
import type { ReadOnlyTarget } from '../../src/transport/types';
import { writeRandomImage, type FixtureImage } from '../fixtures/random-image';
import { startDockerd, type RunningDockerd } from '../harness/dockerd';
import { makeTempDir, removeTempDirs } from '../harness/temp';

let dockerd: RunningDockerd;
const savedHost = process.env.DOCKER_HOST;
beforeAll(async () => {
  dockerd = await startDockerd();
  process.env.DOCKER_HOST = dockerd.host; // openSource/openDestination read it, as the CLI will
}, 90_000);
afterAll(async () => {
  if (savedHost === undefined) delete process.env.DOCKER_HOST;
  else process.env.DOCKER_HOST = savedHost;
  await dockerd?.stop();
  await removeTempDirs();
});

async function readAll(source: ReadOnlyTarget, desc: Descriptor): Promise<Buffer> {
  return Buffer.concat(await (await source.fetch(desc)).toArray());
}

/** Copies the fixture `ref` of `layout` into the daemon as `name`, through the public open functions. */
async function copyIntoDaemon(layout: string, ref: string, name: string) {
  const location = parseImageLocation(`docker-daemon:${name}`);
  const destination = await openDestination(location, {});
  return transfer(openOciLayout(layout), destination, [{ ref, names: [locationRef(location) as string] }]);
}

/** Config digest and diff IDs of the image `ref` of an OCI layout. */
async function configOf(dir: string, ref: string) {
  const layout = openOciLayout(dir);
  const desc = await layout.resolve(ref);
  const parsed = parseManifest(await readAll(layout, desc), desc.mediaType);
  if (parsed.kind !== 'manifest') throw new Error('expected an image manifest');
  const config = parseImageConfig(await readAll(layout, parsed.manifest.config));
  await layout.close();
  return {
    desc,
    manifest: parsed.manifest,
    digest: parsed.manifest.config.digest,
    diffIds: config.rootfs.diff_ids,
  };
}

describe('docker-daemon transport against the real dockerd', () => {
  let image: FixtureImage;
  let layout: string;

  beforeAll(async () => {
    layout = await makeTempDir();
    image = await writeRandomImage(layout, { ref: 'one', seed: 40, layers: 3 });
  });

  it('loads an image into the daemon: its ID is the config digest, its layers the diff IDs', async () => {
    const result = await copyIntoDaemon(layout, 'one', 'kimg.test/app:1');
    expect(result.images[0]?.descriptor.digest).toBe(image.manifestDigest);
    const inspected = await dockerd.docker.getImage('kimg.test/app:1').inspect();
    expect(inspected.Id).toBe(image.configDigest);
    expect(inspected.RootFS.Layers).toEqual(image.layers.map((l) => l.diffId));
    expect(inspected.RepoTags).toEqual(['kimg.test/app:1']);
  });

  it('reads it back unchanged (config digest, diff IDs), with a reproducible manifest digest', async () => {
    const location = parseImageLocation('docker-daemon:kimg.test/app:1');
    const source = await openSource(location, {});
    const out = await makeTempDir();
    const result = await transfer(source, openOciLayout(out), [
      { ref: locationRef(location), names: ['back'] },
    ]);
    await source.close();
    const back = await configOf(out, 'back');
    expect(back.digest).toBe(image.configDigest);
    expect(back.diffIds).toEqual(image.layers.map((l) => l.diffId));
    // docker save exports layers uncompressed, so the layer digests are the diff IDs.
    expect(back.manifest.layers.map((l) => l.digest)).toEqual(image.layers.map((l) => l.diffId));
    expect(back.manifest.layers.every((l) => l.mediaType === MediaType.OciLayer)).toBe(true);
    expect(back.desc.digest).toBe(result.images[0]?.descriptor.digest); // the digest reported is the one stored

    const again = await DockerDaemonSource.open();
    expect((await again.resolve('kimg.test/app:1')).digest).toBe(back.desc.digest);
    expect((await again.list()).map((i) => i.name)).toEqual(['kimg.test/app:1']);
    expect((await again.resolve(undefined)).digest).toBe(back.desc.digest); // the daemon holds just this image
    await again.close();
  });

  it('resolves an image by ID (docker-daemon:sha256:…) to the same image', async () => {
    const location = parseImageLocation(`docker-daemon:${image.configDigest}`);
    expect(location).toEqual({ transport: 'docker-daemon', id: image.configDigest });
    const byName = await DockerDaemonSource.open();
    const byId = await openSource(location, {});
    const desc = await byId.resolve(locationRef(location));
    expect(desc.digest).toBe((await byName.resolve('kimg.test/app:1')).digest);
    const manifest = parseManifest(await readAll(byId, desc), desc.mediaType);
    expect(manifest.kind === 'manifest' && manifest.manifest.config.digest).toBe(image.configDigest);
    await Promise.all([byId.close(), byName.close()]);
  });

  it('names an unknown image and says how to list what the daemon holds', async () => {
    const source = await DockerDaemonSource.open();
    const error = await source.resolve('kimg.test/missing:7').catch((err: unknown) => err);
    expect(error).toMatchObject({
      code: 'IMAGE_NOT_FOUND',
      message: expect.stringContaining('"kimg.test/missing:7"'),
      hint: expect.stringContaining('docker images'),
    });
    await expect(source.resolve(`sha256:${'0'.repeat(64)}`)).rejects.toMatchObject({
      code: 'IMAGE_NOT_FOUND',
    });
    await source.close();
  });

  it('deletes its temp files: export on close, staged load on commit and abort', async () => {
    const tmpDir = await makeTempDir();
    const source = await DockerDaemonSource.open({ tmpDir });
    await source.resolve('kimg.test/app:1');
    expect(await readdir(tmpDir)).toHaveLength(1);
    await source.close();
    expect(await readdir(tmpDir)).toEqual([]);
    const aborted = await DockerDaemonDestination.create({ tmpDir });
    expect(await readdir(tmpDir)).toHaveLength(1);
    await aborted.abort();
    expect(await readdir(tmpDir)).toEqual([]);
    const committed = await DockerDaemonDestination.create({ tmpDir });
    await transfer(openOciLayout(layout), committed, [{ ref: 'one', names: ['kimg.test/app:2'] }]);
    expect(await readdir(tmpDir)).toEqual([]);
    expect((await dockerd.docker.getImage('kimg.test/app:2').inspect()).Id).toBe(image.configDigest);
  });

  it('opened for the CLI, keeps its export and staged load in the store scratch space, gone at close', async () => {
    const storeRoot = join(await makeTempDir(), 'store');
    const scratch = join(storeRoot, '.kimg', 'scratch');
    const cli = { storeRoot, scratchInStore: true };
    const source = await openSource(parseImageLocation('docker-daemon:kimg.test/app:1'), cli);
    await source.resolve('kimg.test/app:1');
    const [owner] = await readdir(scratch);
    expect((await readdir(join(scratch, owner ?? ''))).sort()).toEqual(['export.tar', 'owner.json']);
    await source.close();
    expect(await readdir(scratch)).toEqual([]);
    const destination = await openDestination(parseImageLocation('docker-daemon:kimg.test/app:3'), cli);
    expect(await readdir(scratch)).toHaveLength(1);
    await destination.abort();
    expect(await readdir(scratch)).toEqual([]);
  });

  it('refuses a multi-platform index, speaking of the daemon and --platform', async () => {
    const destination = await DockerDaemonDestination.create();
    const index = { mediaType: MediaType.OciIndex, digest: image.manifestDigest, size: 1 };
    await expect(destination.tag(index, 'kimg.test/multi:1')).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      message: expect.stringContaining('Docker daemon'),
      hint: expect.stringContaining('--platform'),
    });
    await destination.abort();
  });

  it("reports the daemon's own message when it rejects an image (diff_ids not matching the layers)", async () => {
    const bad = await makeTempDir();
    const a = await writeRandomImage(bad, { seed: 41 });
    const b = await writeRandomImage(bad, { seed: 42 });
    // A manifest with b's config (its diff_ids) over a's layers: valid to us, refused by docker load.
    const manifestA = parseManifest(await readFile(join(bad, 'blobs/sha256', a.manifestDigest.slice(7))));
    const manifestB = parseManifest(await readFile(join(bad, 'blobs/sha256', b.manifestDigest.slice(7))));
    if (manifestA.kind !== 'manifest' || manifestB.kind !== 'manifest') throw new Error('fixture');
    const bytes = Buffer.from(JSON.stringify({ ...manifestA.manifest, config: manifestB.manifest.config }));
    const hex = createHash('sha256').update(bytes).digest('hex');
    await writeFile(join(bad, 'blobs/sha256', hex), bytes);
    const desc = { mediaType: MediaType.OciManifest, digest: `sha256:${hex}`, size: bytes.length };

    const tmpDir = await makeTempDir();
    const destination = await DockerDaemonDestination.create({ tmpDir });
    expect(await readdir(tmpDir)).toHaveLength(1);
    const error = await transfer(openOciLayout(bad), destination, [
      { descriptor: desc, names: ['kimg.test/bad:1'] },
    ]).catch((err: unknown) => err);
    expect(await readdir(tmpDir)).toEqual([]); // the staged archive is gone after the failed commit
    expect(error).toMatchObject({
      code: 'DAEMON_ERROR',
      message: expect.stringMatching(new RegExp(`${dockerd.host}.*rejected the image: .*diff`, 'i')),
    });
    await expect(dockerd.docker.getImage('kimg.test/bad:1').inspect()).rejects.toMatchObject({
      statusCode: 404,
    });
  });
});
