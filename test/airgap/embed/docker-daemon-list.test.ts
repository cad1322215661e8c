import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { kimgOk, makeTempDir, removeTempDirs, runOk, startDockerd, type RunningDockerd } from '../../harness';
import { writeRandomImage } from '../../fixtures/random-image';
import { writeTree } from '../discovery/fixture-context';

// An `images/shim` line `docker-daemon:NAME:TAG` (issue 10, Deliver 1): the image is read from a real dockerd
// (the harness starts a private one, as every daemon test does) and embedded in registry/ under that name.
let dockerd: RunningDockerd;
let root: string;

beforeAll(async () => {
  dockerd = await startDockerd();
  root = await makeTempDir('kimg-root-');
  const layout = await makeTempDir('kimg-layout-');
  await writeRandomImage(layout, { ref: 'daemon', seed: 91, layers: 2 });
  await kimgOk(['copy', `oci:${layout}:daemon`, 'docker-daemon:acme/daemon:1'], {
    root,
    env: { DOCKER_HOST: dockerd.host },
  });
}, 120_000);

afterAll(async () => {
  await dockerd?.stop();
  await removeTempDirs();
});

describe('an images/shim line docker-daemon:IMAGE', () => {
  it('is embedded from the daemon under its name, with the digest kimg reads there', async () => {
    const context = await makeTempDir('kimg-daemon-ctx-');
    await writeTree(context, {
      Kubefile: 'FROM scratch\nCOPY images /images/\n',
      'images/shim/list': '# from the local Docker engine\ndocker-daemon:acme/daemon:1\n',
    });
    const env = { DOCKER_HOST: dockerd.host };
    await kimgOk(['build', '--platform', 'linux/amd64', '-t', 'daemon-apps:1', context], { root, env });
    const inDaemon = JSON.parse(
      (await kimgOk(['inspect', '--format', 'json', 'docker-daemon:acme/daemon:1'], { root, env })).stdout,
    ) as { digest: string };
    const image = JSON.parse(
      (await kimgOk(['inspect', '--format', 'json', 'daemon-apps:1'], { root })).stdout,
    ) as {
      config: { labels: Record<string, string> };
      layers: { digest: string }[];
    };
    const records = JSON.parse(image.config.labels['io.kimg.images'] ?? '[]') as {
      reference: string;
      name: string;
      digest: string;
      sources: string[];
    }[];
    expect(records).toEqual([
      {
        reference: 'docker-daemon:acme/daemon:1',
        name: 'acme/daemon:1',
        digest: inDaemon.digest,
        platforms: ['linux/amd64'],
        sources: ['images/shim/list:2'],
      },
    ]);
    const registryLayer = image.layers[image.layers.length - 1]?.digest as string;
    const listing = (await runOk('tar', ['-tf', join(root, 'blobs', 'sha256', registryLayer.slice(7))]))
      .stdout;
    expect(listing).toContain(
      'registry/docker/registry/v2/repositories/acme/daemon/_manifests/tags/1/current/link',
    );
    expect(listing).toContain(`blobs/sha256/${inDaemon.digest.slice(7, 9)}/${inDaemon.digest.slice(7)}/data`);
  }, 120_000);
});
