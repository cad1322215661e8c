import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RegistryClient } from '../../src/registry';
import { transfer } from '../../src/copy';
import { openOciLayout } from '../../src/transport/oci-layout';
import { parseImageLocation } from '../../src/reference';
import { locationRef } from '../../src/transport/open';
import {
  BlobLocations,
  createRegistryClient,
  RegistryTarget,
  MAX_BLOB_LOCATIONS,
  MAX_REPOSITORIES_PER_BLOB,
} from '../../src/transport/registry';
import {
  makeTempDir,
  removeTempDirs,
  startFaultProxy,
  startRegistry,
  type FaultProxy,
  type RunningRegistry,
} from '../harness';
import { writeRandomImage, type FixtureImage } from '../fixtures/random-image';
import { open, stack, uploads } from './registry-helpers';

const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

describe('BlobLocations (the file)', () => {
  afterAll(removeTempDirs);

  it('remembers repositories per registry and digest, most recent first, bounded', async () => {
    const file = join(await makeTempDir(), '.kimg', 'blob-locations.json');
    const cache = await BlobLocations.load(file);
    expect(cache.candidates('r.io', digest(1))).toEqual([]);
    for (let i = 0; i < MAX_REPOSITORIES_PER_BLOB + 2; i++) cache.record('r.io', digest(1), `repo${i}`);
    cache.record('r.io', digest(1), 'repo2');
    const repos = cache.candidates('r.io', digest(1));
    expect(repos[0]).toBe('repo2');
    expect(repos).toHaveLength(MAX_REPOSITORIES_PER_BLOB);
    expect(cache.candidates('other.io', digest(1))).toEqual([]);
    cache.forget('r.io', digest(1), 'repo2');
    expect(cache.candidates('r.io', digest(1))).not.toContain('repo2');
    await cache.save();
    const again = await BlobLocations.load(file);
    expect(again.candidates('r.io', digest(1))).toEqual(cache.candidates('r.io', digest(1)));
  });

  it('merges with what another process saved meanwhile; keeps the newest entries when over the bound', async () => {
    const file = join(await makeTempDir(), 'blob-locations.json');
    const one = await BlobLocations.load(file);
    const two = await BlobLocations.load(file);
    one.record('r.io', digest(1), 'a');
    two.record('r.io', digest(2), 'b');
    await one.save();
    await two.save();
    const merged = await BlobLocations.load(file);
    expect(merged.candidates('r.io', digest(1))).toEqual(['a']);
    expect(merged.candidates('r.io', digest(2))).toEqual(['b']);

    const big = await BlobLocations.load(file);
    for (let i = 0; i < MAX_BLOB_LOCATIONS + 10; i++) big.record('r.io', digest(1000 + i), 'x');
    await big.save();
    const bounded = JSON.parse(await readFile(file, 'utf8')) as { blobs: object };
    expect(Object.keys(bounded.blobs)).toHaveLength(MAX_BLOB_LOCATIONS);
    const reread = await BlobLocations.load(file);
    expect(reread.candidates('r.io', digest(1000 + MAX_BLOB_LOCATIONS + 9))).toEqual(['x']);
  });

  it('an unreadable file counts as empty, and an unwritable place never fails', async () => {
    const dir = await makeTempDir();
    const file = join(dir, 'blob-locations.json');
    await writeFile(file, '{"version":1,"blobs":');
    const cache = await BlobLocations.load(file);
    expect(cache.candidates('r.io', digest(1))).toEqual([]);
    const blocked = await BlobLocations.load(join(file, 'not-a-dir', 'x.json'));
    blocked.record('r.io', digest(1), 'a');
    await expect(blocked.save()).resolves.toBeUndefined();
  });
});

// Two copies in two "processes" (two clients, the cache re-read from its file), through a counting proxy.
describe('cross-repository mounts from remembered locations (real docker-registry)', () => {
  let registry: RunningRegistry;
  let proxy: FaultProxy;
  let layout: string;
  let first: string;
  let second: string;
  let base: FixtureImage;

  beforeAll(async () => {
    registry = await startRegistry();
    proxy = await startFaultProxy(registry.url);
    layout = await makeTempDir();
    base = await writeRandomImage(layout, { ref: 'base', seed: 700, layers: 2 });
    const topA = await writeRandomImage(layout, { ref: 'topA', seed: 701, layers: 1 });
    const topB = await writeRandomImage(layout, { ref: 'topB', seed: 702, layers: 1 });
    first = await stack(layout, base, topA, 'a');
    second = await stack(layout, base, topB, 'b');
  });
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
    await removeTempDirs();
  });

  /** `kimg copy oci:LAYOUT:ref docker://PROXY/dest` as a new process would: a new client, the cache from disk. */
  async function push(file: string, ref: string, dest: string) {
    const client: RegistryClient = createRegistryClient();
    const location = parseImageLocation(dest);
    if (location.transport !== 'docker') throw new Error(`not a docker:// location: ${dest}`);
    const destination = new RegistryTarget(client, location.reference, {
      push: true,
      blobLocations: await BlobLocations.load(file),
    });
    try {
      return await transfer(openOciLayout(layout), destination, [
        { ref, names: [locationRef(location) as string] },
      ]);
    } finally {
      await destination.close();
      await client.close();
    }
  }

  const sharedDigests = () => base.layers.map((layer) => layer.digest);
  const putDigests = () =>
    uploads(proxy.requests).map((r) => new URL(r.path, 'http://x').searchParams.get('digest'));

  it('a second image sharing layers, pushed to another repository, mounts them: 0 uploads of shared blobs', async () => {
    const file = join(await makeTempDir(), '.kimg', 'blob-locations.json');
    proxy.reset();
    const one = await push(file, first, `docker://${proxy.host}/team/a:1`);
    expect(one.stats.blobsMounted).toBe(0);
    expect(putDigests()).toEqual(expect.arrayContaining(sharedDigests()));

    proxy.reset();
    const two = await push(file, second, `docker://${proxy.host}/team/b:1`);
    expect(two.stats.blobsMounted).toBe(sharedDigests().length);
    const puts = putDigests();
    for (const shared of sharedDigests()) expect(puts).not.toContain(shared);
    // Its own layer and config are uploaded; each shared blob costs HEAD + POST (201), as a same-registry mount.
    expect(puts).toHaveLength(2);
    const mounts = proxy.requests.filter((r) => r.method === 'POST' && r.path.includes('mount='));
    expect(mounts.map((r) => r.status)).toEqual(sharedDigests().map(() => 201));
    expect(mounts.every((r) => r.path.includes('from=team%2Fa'))).toBe(true);

    // The image is complete and readable where it was mounted.
    const check = createRegistryClient();
    try {
      const source = await open(check, `docker://${registry.host}/team/b:1`, 'source');
      const out = await makeTempDir();
      const result = await transfer(source.target, openOciLayout(out) as never, [{ ref: '1', names: ['x'] }]);
      expect(result.stats.blobsCopied).toBeGreaterThan(0);
      await source.target.close();
    } finally {
      await check.close();
    }
  });

  it('a stale location costs no extra request: the 202 of the mount is the upload session', async () => {
    const file = join(await makeTempDir(), 'blob-locations.json');
    const stale = await BlobLocations.load(file);
    for (const shared of sharedDigests()) stale.record(proxy.host, shared, 'nowhere/else');
    await stale.save();
    proxy.reset();
    const result = await push(file, first, `docker://${proxy.host}/fresh/a:1`);
    expect(result.stats.blobsMounted).toBe(0);
    const blobRequests = proxy.requests.filter((r) => r.path.includes('/blobs/'));
    // 4 blobs (2 shared layers, own layer, config) × (HEAD, POST, PUT): the same budget as without the cache.
    expect(blobRequests).toHaveLength(12);
    const mounts = proxy.requests.filter((r) => r.method === 'POST' && r.path.includes('mount='));
    expect(mounts.map((r) => r.status)).toEqual(sharedDigests().map(() => 202));
    const after = await BlobLocations.load(file);
    for (const shared of sharedDigests()) {
      expect(after.candidates(proxy.host, shared)).toEqual(['fresh/a']);
    }
  });
});
