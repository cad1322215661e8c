import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import {
  kimgOk,
  makeTempDir,
  removeTempDirs,
  skopeo,
  startDockerd,
  startRegistry,
  type RunningDockerd,
  type RunningRegistry,
} from '../harness';
import { writeRandomImage, type FixtureImage } from '../fixtures/random-image';

// registry → oci → oci-archive → docker-archive → docker-daemon → registry-dir → registry (issue 4): the layer
// diff IDs survive every hop; the manifest digest is kept wherever the format holds the bytes (every hop but
// the daemon, which stores images its own way and exports a manifest of its own).
let registry: RunningRegistry;
let served: RunningRegistry | undefined;
let dockerd: RunningDockerd;
let image: FixtureImage;
let root: string;

beforeAll(async () => {
  registry = await startRegistry();
  dockerd = await startDockerd();
  root = await makeTempDir('kimg-root-');
  const layout = await makeTempDir();
  image = await writeRandomImage(layout, { ref: '1', seed: 31, layers: 2, mediaTypes: 'docker' });
  await kimgOk(['copy', `oci:${layout}:1`, `docker://${registry.host}/rt/app:1`], { root });
}, 90_000);
afterAll(async () => {
  await served?.stop();
  await dockerd?.stop();
  await registry?.stop();
  await removeTempDirs();
});

async function inspect(location: string): Promise<{ digest: string; diffIds: string[] }> {
  const out = await kimgOk(['inspect', location, '--format', 'json'], {
    root,
    env: { DOCKER_HOST: dockerd.host },
  });
  const json = JSON.parse(out.stdout) as { digest: string; diffIds: string[] };
  return { digest: json.digest, diffIds: json.diffIds };
}

describe('round trip through every transport', () => {
  it('keeps the diff IDs everywhere and the manifest digest where the format allows', async () => {
    const dir = await makeTempDir();
    const hops = [
      `docker://${registry.host}/rt/app:1`,
      `oci:${join(dir, 'oci')}:app`,
      `oci-archive:${join(dir, 'app.oci.tar')}:app`,
      `docker-archive:${join(dir, 'app.docker.tar')}:rt/app:1`,
      'docker-daemon:rt/app:1',
      `registry-dir:${join(dir, 'registry')}:rt/app:1`,
    ];
    const env = { DOCKER_HOST: dockerd.host };
    const original = await inspect(hops[0] as string);
    expect(original.diffIds).toEqual(image.layers.map((l) => l.diffId));
    const digests: string[] = [original.digest];
    for (let i = 1; i < hops.length; i++) {
      await kimgOk(['copy', hops[i - 1] as string, hops[i] as string], { root, env });
      const seen = await inspect(hops[i] as string);
      expect(seen.diffIds).toEqual(original.diffIds);
      digests.push(seen.digest);
    }
    served = await startRegistry({ storageDir: join(dir, 'registry') });
    await kimgOk(['copy', `docker://${served.host}/rt/app:1`, `docker://${registry.host}/rt/back:1`], {
      root,
    });
    const back = await inspect(`docker://${registry.host}/rt/back:1`);
    expect(back.diffIds).toEqual(original.diffIds);
    // registry, oci, oci-archive, docker-archive hold the bytes: same digest.
    expect(digests.slice(0, 4)).toEqual(Array(4).fill(image.manifestDigest));
    // After the daemon, the digest is the daemon's; registry-dir and the registry keep *that* one.
    expect(digests[5]).toBe(digests[4]);
    expect(back.digest).toBe(digests[4]);
    const peer = await skopeo(['inspect', '--tls-verify=false', `docker://${registry.host}/rt/back:1`]);
    expect(JSON.parse(peer.stdout).Digest).toBe(back.digest);
  });
});
