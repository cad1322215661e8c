import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeRandomImage, type FixtureImage } from '../fixtures/random-image';
import { kimgOk, makeTempDir, removeTempDirs, runOk, startDockerd, type RunningDockerd } from '../harness';

/**
 * The archive round trips of the foundation issue, with the real peers: skopeo writes, kimg loads and lists;
 * kimg saves, skopeo and dockerd read; dockerd saves, kimg loads.
 */
let work: string;
let root: string;
let image: FixtureImage;
let dockerd: RunningDockerd;

beforeAll(async () => {
  work = await makeTempDir();
  root = join(work, 'store');
  image = await writeRandomImage(join(work, 'layout'), { ref: 'src', layers: 3, seed: 21 });
  await runOk('skopeo', [
    'copy',
    `oci:${join(work, 'layout')}:src`,
    `oci-archive:${join(work, 'skopeo.oci.tar')}:example.com/team/app:1.0`,
  ]);
  await runOk('skopeo', [
    'copy',
    `oci:${join(work, 'layout')}:src`,
    `docker-archive:${join(work, 'skopeo.docker.tar')}:example.com/team/app:docker`,
  ]);
  dockerd = await startDockerd();
}, 120_000);

afterAll(async () => {
  await dockerd?.stop();
  await removeTempDirs();
});

interface ImageRow {
  name?: string;
  digest: string;
  platforms: string[];
}

async function listed(): Promise<ImageRow[]> {
  return JSON.parse((await kimgOk(['images', '--format', 'json'], { root })).stdout) as ImageRow[];
}

describe('archives written by skopeo and dockerd, read and written by kimg', () => {
  it("loads skopeo's oci-archive keeping the manifest digest, and lists it", async () => {
    const loaded = await kimgOk(['load', '-i', join(work, 'skopeo.oci.tar')], { root });
    expect(loaded.stdout).toContain('Loaded image: example.com/team/app:1.0');
    const row = (await listed()).find((r) => r.name === 'example.com/team/app:1.0');
    expect(row?.digest).toBe(image.manifestDigest);
    expect(row?.platforms).toEqual(['linux/amd64']);
  });

  it("loads skopeo's docker-archive with the same layers", async () => {
    await kimgOk(['load', '-i', join(work, 'skopeo.docker.tar')], { root });
    const rows = await listed();
    expect(rows.map((r) => r.name)).toContain('example.com/team/app:docker');
    const inspected = JSON.parse((await kimgOk(['inspect', 'example.com/team/app:docker'], { root })).stdout);
    expect(inspected.diffIds).toEqual(image.layers.map((l) => l.diffId));
  });

  it('saves an oci-archive that skopeo reads with the manifest digest unchanged', async () => {
    const file = join(work, 'kimg.oci.tar');
    await kimgOk(['save', '-o', file, 'example.com/team/app:1.0'], { root });
    const inspect = await runOk('skopeo', [
      'inspect',
      '--raw',
      `oci-archive:${file}:example.com/team/app:1.0`,
    ]);
    const { createHash } = await import('node:crypto');
    expect(`sha256:${createHash('sha256').update(inspect.stdout).digest('hex')}`).toBe(image.manifestDigest);
    await runOk('skopeo', [
      'copy',
      `oci-archive:${file}:example.com/team/app:1.0`,
      `oci:${join(work, 'back')}:x`,
    ]);
  });

  it('saves a docker-archive that `docker load` on a real dockerd accepts', async () => {
    const file = join(work, 'kimg.docker.tar');
    await kimgOk(['save', '-o', file, '--format', 'docker-archive', 'example.com/team/app:1.0'], { root });
    const env = { ...process.env, DOCKER_HOST: dockerd.host };
    const load = await runOk('docker', ['load', '-i', file], { env });
    expect(load.stdout).toContain('example.com/team/app:1.0');
    const info = await dockerd.docker.getImage('example.com/team/app:1.0').inspect();
    expect(info.Id).toBe(image.configDigest);
    expect(info.RootFS.Layers).toEqual(image.layers.map((l) => l.diffId));
  });

  it('loads what `docker save` writes', async () => {
    const file = join(work, 'docker-save.tar');
    const env = { ...process.env, DOCKER_HOST: dockerd.host };
    await runOk('docker', ['tag', 'example.com/team/app:1.0', 'saved/by-docker:2'], { env });
    await runOk('docker', ['save', '-o', file, 'saved/by-docker:2'], { env });
    const loaded = await kimgOk(['load', '-i', file, '--format', 'json'], { root });
    expect(JSON.parse(loaded.stdout).format).toBe('docker-archive');
    const inspected = JSON.parse((await kimgOk(['inspect', 'saved/by-docker:2'], { root })).stdout);
    expect(inspected.config.digest).toBe(image.configDigest);
    expect(inspected.diffIds).toEqual(image.layers.map((l) => l.diffId));
    // The config travels byte for byte: its digest is docker's image ID.
    const config = await readFile(join(root, 'blobs', 'sha256', image.configDigest.slice(7)));
    expect(JSON.parse(config.toString()).rootfs.diff_ids).toHaveLength(3);
  });
});
