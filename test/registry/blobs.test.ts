import { startRegistry, removeTempDirs, type RunningRegistry } from '../harness';
import { isKimgError } from '../../src/errors';
import { blob, opener, readStream, testClient } from './helpers';

/** Blob endpoints against a real distribution registry (plain http on 127.0.0.1, deletes enabled). */
describe('blobs against docker-registry', () => {
  let registry: RunningRegistry;
  const { client, events } = testClient();

  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => {
    await client.close();
    await registry?.stop();
    await removeTempDirs();
  });
  beforeEach(() => events.splice(0));

  it('pushes a new blob with HEAD + POST + PUT and finds it with one HEAD', async () => {
    const repo = client.repository(registry.host, 'blobs/monolithic', { push: true });
    await client.ping(registry.host);
    const { bytes, desc } = blob('monolithic', 300_000);
    events.splice(0);
    expect(await repo.pushBlob(desc, opener(bytes).open)).toEqual({ via: 'uploaded' });
    expect(events.map((e) => `${e.method} ${e.status}`)).toEqual(['HEAD 404', 'POST 202', 'PUT 201']);
    events.splice(0);
    expect(await repo.pushBlob(desc, opener(bytes).open)).toEqual({ via: 'exists' });
    expect(events.map((e) => `${e.method} ${e.status}`)).toEqual(['HEAD 200']);
    expect(await repo.statBlob(desc.digest)).toEqual({ digest: desc.digest, size: desc.size });
    expect((await readStream(await repo.fetchBlob(desc))).equals(bytes)).toBe(true);
  });

  it('serves byte ranges', async () => {
    const repo = client.repository(registry.host, 'blobs/range', { push: true });
    const { bytes, desc } = blob('range', 10_000);
    await repo.pushBlob(desc, opener(bytes).open);
    expect(
      (await readStream(await repo.fetchBlobRange(desc.digest, 100, 199))).equals(bytes.subarray(100, 200)),
    ).toBe(true);
    expect(
      (await readStream(await repo.fetchBlobRange(desc.digest, 9_000))).equals(bytes.subarray(9_000)),
    ).toBe(true);
  });

  it('uploads in chunks when configured, honouring the chunk size', async () => {
    const { client: chunky, events: chunkEvents } = testClient({
      registries: { [registry.host]: { chunkSize: 100_000 } },
    });
    try {
      const repo = chunky.repository(registry.host, 'blobs/chunked', { push: true });
      const { bytes, desc } = blob('chunked', 250_000);
      expect(await repo.pushBlob(desc, opener(bytes, 7_000).open)).toEqual({ via: 'uploaded' });
      expect(chunkEvents.filter((e) => e.method === 'PATCH').map((e) => e.status)).toEqual([202, 202, 202]);
      expect((await readStream(await repo.fetchBlob(desc))).equals(bytes)).toBe(true);
    } finally {
      await chunky.close();
    }
  });

  it('mounts a blob from another repository in one request', async () => {
    const source = client.repository(registry.host, 'blobs/mount-source', { push: true });
    const target = client.repository(registry.host, 'blobs/mount-target', { push: true });
    const { bytes, desc } = blob('mount', 5_000);
    await source.pushBlob(desc, opener(bytes).open);
    events.splice(0);
    expect(
      await target.pushBlob(desc, opener(bytes).open, {
        mountFrom: 'blobs/mount-source',
        skipExistsCheck: true,
      }),
    ).toEqual({ via: 'mounted' });
    expect(events.map((e) => `${e.method} ${e.status}`)).toEqual(['POST 201']);
    expect(await target.blobExists(desc.digest)).toBe(true);
  });

  it('falls back to an upload when the mount source does not have the blob', async () => {
    const target = client.repository(registry.host, 'blobs/mount-fallback', { push: true });
    const { bytes, desc } = blob('mount-fallback', 5_000);
    events.splice(0);
    expect(
      await target.pushBlob(desc, opener(bytes).open, { mountFrom: 'blobs/nowhere', skipExistsCheck: true }),
    ).toEqual({ via: 'uploaded' });
    // distribution answers the failed mount with 202 and an upload session, which we use: still 2 requests.
    expect(events.map((e) => `${e.method} ${e.status}`)).toEqual(['POST 202', 'PUT 201']);
  });

  it('refuses to push bytes that do not match the descriptor, and stores nothing', async () => {
    const repo = client.repository(registry.host, 'blobs/wrong', { push: true });
    const { desc } = blob('claimed', 1_000);
    const { bytes: other } = blob('actual', 1_000);
    await expect(repo.pushBlob(desc, opener(other).open)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    expect(await repo.blobExists(desc.digest)).toBe(false);
  });

  it('refuses a blob whose bytes do not match when reading', async () => {
    const repo = client.repository(registry.host, 'blobs/verify', { push: true });
    const { bytes, desc } = blob('verify', 2_000);
    await repo.pushBlob(desc, opener(bytes).open);
    await expect(readStream(await repo.fetchBlob({ ...desc, size: desc.size - 1 }))).rejects.toMatchObject({
      code: 'SIZE_MISMATCH',
    });
  });

  it('deletes a blob and then reports it unknown', async () => {
    const repo = client.repository(registry.host, 'blobs/delete', { push: true });
    const { bytes, desc } = blob('delete', 1_000);
    await repo.pushBlob(desc, opener(bytes).open);
    await repo.deleteBlob(desc.digest);
    expect(await repo.statBlob(desc.digest)).toBeUndefined();
    const err = await repo.fetchBlob(desc).catch((e: unknown) => e);
    expect(isKimgError(err, 'BLOB_UNKNOWN')).toBe(true);
  });
});
