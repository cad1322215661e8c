import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { transfer } from '../../src/copy';
import { RunBlobs } from '../../src/copy/batch-blobs';
import { Limiter } from '../../src/copy/limiter';
import type { RegistryClient } from '../../src/registry';
import { createRegistryClient } from '../../src/transport/registry';
import { openOciLayout } from '../../src/transport/oci-layout';
import { makeTempDir, removeTempDirs, startRegistry, type RunningRegistry } from '../harness';
import { writeRandomImage, type FixtureImage } from '../fixtures/random-image';
import { open, pushLayout } from '../transport/registry-helpers';

// A batch run's mount of a blob another image already landed takes no leaf-transfer slot (copy-graph.ts
// `mountLanded`): while every slot is held by other images' transfers, such an image still completes. A blob
// nobody landed still waits for a slot. Real docker-registry; the slot is held by the test itself.
let registry: RunningRegistry;
let client: RegistryClient;
let layout: string;
const images: FixtureImage[] = [];

beforeAll(async () => {
  registry = await startRegistry();
  client = createRegistryClient();
  layout = await makeTempDir('kimg-mount-slot-');
  for (const seed of [41, 42])
    images.push(await writeRandomImage(layout, { ref: `i${seed}`, seed, layers: 2 }));
  // The first image is already in another repository of the registry: the blobs "landed" there.
  await pushLayout(client, layout, 'i41', `docker://${registry.host}/landed/first:1`);
}, 60_000);
afterAll(async () => {
  await client?.close();
  await registry?.stop();
  await removeTempDirs();
});

/** Copies fixture `ref` into `repository` with one limiter slot held by someone else until `release`. */
async function copyWhileSlotHeld(ref: string, repository: string, runBlobs: RunBlobs) {
  const limiter = new Limiter(1);
  let release!: () => void;
  const holding = limiter.run(() => new Promise<void>((resolve) => (release = resolve)));
  const destination = await open(client, `docker://${registry.host}/${repository}:1`, 'destination');
  const copying = transfer(openOciLayout(layout), destination.target as never, [{ ref, names: ['1'] }], {
    limiter,
    runBlobs,
  });
  const first = await Promise.race([
    copying.then(() => 'copied' as const),
    new Promise<'waiting'>((resolve) => setTimeout(() => resolve('waiting'), 3000)),
  ]);
  release();
  await holding;
  const result = await copying;
  await destination.target.close();
  return { first, stats: result.stats };
}

describe('mounts in a batch run', () => {
  it('a blob another image landed is mounted without a transfer slot; one nobody landed waits for a slot', async () => {
    const runBlobs = new RunBlobs();
    const landed = images[0] as FixtureImage;
    for (const digest of [landed.configDigest, ...landed.layers.map((layer) => layer.digest)]) {
      const claim = runBlobs.claim(registry.host, digest);
      if (claim.kind !== 'send') throw new Error('the test claims first');
      claim.settle({ registry: registry.host, repository: 'landed/first' });
    }
    const mounted = await copyWhileSlotHeld('i41', 'landed/second', runBlobs);
    expect(mounted.first).toBe('copied');
    expect(mounted.stats.blobsMounted).toBe(1 + landed.layers.length);

    const uploaded = await copyWhileSlotHeld('i42', 'landed/third', runBlobs);
    expect(uploaded.first).toBe('waiting');
    // Its config, layers and manifest.
    expect(uploaded.stats.blobsCopied).toBe(2 + (images[1] as FixtureImage).layers.length);
  }, 30_000);
});
