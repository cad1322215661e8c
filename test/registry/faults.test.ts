import { Readable } from 'node:stream';
import { digestOf } from '../../src/digest';
import { isKimgError } from '../../src/errors';
import { MediaType } from '../../src/manifest/media-types';
import {
  removeTempDirs,
  startFaultProxy,
  startRegistry,
  type FaultProxy,
  type RunningRegistry,
} from '../harness';
import { blob, opener, pushImage, readStream, testClient } from './helpers';

/**
 * What a real registry cannot produce on demand, injected by the harness's fault proxy in front of a real
 * docker-registry: resets mid-body, 503/429 with Retry-After, redirects to another origin, corrupted bytes.
 */
describe('fault proxy in front of docker-registry', () => {
  let registry: RunningRegistry;
  let proxy: FaultProxy;
  const user = () => registry.users[0] as { username: string; password: string };
  const makeClient = (options: Parameters<typeof testClient>[0] = {}) =>
    testClient({ scheme: () => 'http', credentials: async () => user(), ...options });

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'htpasswd' });
    proxy = await startFaultProxy(registry.url);
  });
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
    await removeTempDirs();
  });
  beforeEach(() => proxy.reset());

  it('costs HEAD + POST + PUT for a new blob and one HEAD for a present one', async () => {
    const { client } = makeClient();
    try {
      const repo = client.repository(proxy.host, 'budget/app', { push: true });
      await client.ping(proxy.host);
      const { bytes, desc } = blob('budget', 100_000);
      proxy.reset();
      await repo.pushBlob(desc, opener(bytes).open);
      expect(proxy.requests.map((r) => r.method)).toEqual(['HEAD', 'POST', 'PUT']);
      proxy.reset();
      await repo.pushBlob(desc, opener(bytes).open);
      expect(proxy.requests.map((r) => r.method)).toEqual(['HEAD']);
    } finally {
      await client.close();
    }
  });

  it('keeps its connection after a HEAD: ten HEADs in a row open at most one TCP connection', async () => {
    // undici closes the connection after every HEAD unless a request says otherwise (registry/http/transport.ts):
    // a sync HEADs every tag and blob, so that was a new TCP (and TLS) connection each.
    const { client } = makeClient();
    try {
      const repo = client.repository(proxy.host, 'reuse/app', { push: true });
      const present = blob('reuse', 1000);
      await repo.pushBlob(present.desc, opener(present.bytes).open);
      await new Promise((resolve) => setTimeout(resolve, 50));
      proxy.reset();
      for (let i = 0; i < 5; i++) {
        expect(await repo.blobExists(present.desc.digest)).toBe(true);
        expect(await repo.blobExists(blob(`absent-${i}`, 10).desc.digest)).toBe(false);
      }
      expect(proxy.requests.map((r) => r.method)).toEqual(new Array(10).fill('HEAD'));
      expect(proxy.connections()).toBeLessThanOrEqual(1);
    } finally {
      await client.close();
    }
  });

  it('resumes a download after a reset mid-body, with Range, and the content still verifies', async () => {
    const { client } = makeClient();
    try {
      const repo = client.repository(proxy.host, 'faults/resume', { push: true });
      const { bytes, desc } = blob('resume', 1_000_000);
      await repo.pushBlob(desc, opener(bytes).open);
      proxy.reset();
      proxy.setRules([
        { kind: 'reset-mid-body', method: 'GET', path: /\/blobs\/sha256:/, afterBytes: 300_000, times: 1 },
      ]);
      expect((await readStream(await repo.fetchBlob(desc))).equals(bytes)).toBe(true);
      const gets = proxy.requests.filter((r) => r.method === 'GET');
      expect(gets).toHaveLength(2);
      expect(gets[0]?.faults).toEqual(['reset-mid-body']);
      expect(gets[1]?.headers.range).toMatch(/^bytes=\d+-$/);
      expect(Number(/\d+/.exec(gets[1]?.headers.range as string)?.[0])).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });

  it('refuses a blob with one corrupted byte', async () => {
    const { client } = makeClient();
    try {
      const repo = client.repository(proxy.host, 'faults/corrupt', { push: true });
      const { bytes, desc } = blob('corrupt', 50_000);
      await repo.pushBlob(desc, opener(bytes).open);
      proxy.setRules([{ kind: 'corrupt-byte', method: 'GET', path: /\/blobs\//, offset: 1234 }]);
      await expect(readStream(await repo.fetchBlob(desc))).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    } finally {
      await client.close();
    }
  });

  it('refuses a manifest whose bytes were changed on the way, by digest and by tag', async () => {
    const { client } = makeClient();
    try {
      const image = await pushImage(client, proxy.host, 'faults/manifest', 'v1', 'lying');
      const repo = client.repository(proxy.host, 'faults/manifest');
      proxy.setRules([{ kind: 'corrupt-byte', method: 'GET', path: /\/manifests\//, offset: 20 }]);
      await expect(repo.getManifest(image.manifest.digest)).rejects.toMatchObject({
        code: 'DIGEST_MISMATCH',
      });
      // By tag, the registry's Docker-Content-Digest no longer matches the bytes.
      await expect(repo.getManifest('v1')).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    } finally {
      await client.close();
    }
  });

  it('waits out 503 and 429 with Retry-After (seconds and HTTP-date), then succeeds', async () => {
    const { client, events } = makeClient();
    try {
      const image = await pushImage(client, proxy.host, 'faults/retry', 'v1', 'retry');
      const repo = client.repository(proxy.host, 'faults/retry');
      const date = new Date(Date.now() + 2_000).toUTCString();
      proxy.setRules([
        { kind: 'status', status: 503, retryAfter: '1', method: 'GET', path: /\/manifests\//, times: 1 },
        {
          kind: 'status',
          status: 429,
          retryAfter: date,
          method: 'GET',
          path: /\/manifests\//,
          nth: 2,
          times: 1,
        },
      ]);
      events.splice(0);
      const started = Date.now();
      expect((await repo.getManifest('v1')).descriptor).toEqual(image.manifest);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
      expect(events.map((e) => e.status)).toEqual([503, 429, 200]);
      expect(events[0]?.retryInMs).toBe(1_000);
    } finally {
      await client.close();
    }
  });

  it('gives up with TOO_MANY_REQUESTS when Retry-After is beyond the cap', async () => {
    const { client } = makeClient();
    try {
      await pushImage(client, proxy.host, 'faults/limit', 'v1', 'limit');
      proxy.setRules([
        { kind: 'status', status: 429, retryAfter: '3600', method: 'GET', path: /\/manifests\// },
      ]);
      const err = await client
        .repository(proxy.host, 'faults/limit')
        .getManifest('v1')
        .catch((e: unknown) => e);
      expect(isKimgError(err, 'TOO_MANY_REQUESTS')).toBe(true);
      expect((err as { hint: string }).hint).toMatch(/rate-limiting/);
      expect((err as Error).message).toContain('Retry-After: 3600');
    } finally {
      await client.close();
    }
  });

  it('follows a blob redirect to another origin without sending Authorization there', async () => {
    const { client } = makeClient();
    try {
      const repo = client.repository(proxy.host, 'faults/redirect', { push: true });
      const { bytes, desc } = blob('redirect', 20_000);
      await repo.pushBlob(desc, opener(bytes).open);
      proxy.setRules([{ kind: 'redirect', method: 'GET', path: /\/blobs\// }]);
      expect((await readStream(await repo.fetchBlob(desc))).equals(bytes)).toBe(true);
      expect(proxy.requests.find((r) => r.faults.includes('redirect'))?.headers.authorization).toMatch(
        /^Basic /,
      );
      expect(proxy.otherOrigin.requests).toHaveLength(1);
      expect(proxy.otherOrigin.requests[0]).toMatchObject({ authorization: false, status: 200 });
    } finally {
      await client.close();
    }
  });

  it('retries a failed monolithic upload in a new session, re-opening the source', async () => {
    const { client } = makeClient();
    try {
      const repo = client.repository(proxy.host, 'faults/upload', { push: true });
      const { bytes, desc } = blob('upload-retry', 200_000);
      const source = opener(bytes);
      await client.ping(proxy.host);
      proxy.reset();
      proxy.setRules([{ kind: 'status', status: 500, method: 'PUT', path: /\/blobs\/uploads\//, times: 1 }]);
      expect(await repo.pushBlob(desc, source.open)).toEqual({ via: 'uploaded' });
      expect(source.opened()).toBe(2);
      expect(proxy.requests.map((r) => `${r.method} ${r.status}`)).toEqual([
        'HEAD 404',
        'POST 202',
        'PUT 500',
        'DELETE 204',
        'POST 202',
        'PUT 201',
      ]);
      expect((await readStream(await repo.fetchBlob(desc))).equals(bytes)).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('switches to chunks when the registry refuses a monolithic body with 413', async () => {
    const { client } = makeClient();
    try {
      const repo = client.repository(proxy.host, 'faults/too-large', { push: true });
      const { bytes, desc } = blob('too-large', 100_000);
      await client.ping(proxy.host);
      proxy.reset();
      proxy.setRules([{ kind: 'status', status: 413, method: 'PUT', path: /\/blobs\/uploads\//, times: 1 }]);
      expect(await repo.pushBlob(desc, opener(bytes).open)).toEqual({ via: 'uploaded' });
      expect(proxy.requests.map((r) => r.method)).toEqual([
        'HEAD',
        'POST',
        'PUT',
        'DELETE',
        'POST',
        'PATCH',
        'PUT',
      ]);
      expect((await readStream(await repo.fetchBlob(desc))).equals(bytes)).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('resumes a chunked upload after a failed chunk from the offset the registry reports', async () => {
    const { client } = makeClient({ registries: { [proxy.host]: { chunkSize: 40_000 } } });
    try {
      const repo = client.repository(proxy.host, 'faults/chunks', { push: true });
      const { bytes, desc } = blob('chunk-resume', 100_000);
      await client.ping(proxy.host);
      proxy.reset();
      proxy.setRules([{ kind: 'status', status: 503, method: 'PATCH', nth: 2, times: 1 }]);
      expect(await repo.pushBlob(desc, opener(bytes).open)).toEqual({ via: 'uploaded' });
      expect(proxy.requests.map((r) => `${r.method} ${r.status}`)).toEqual([
        'HEAD 404',
        'POST 202',
        'PATCH 202',
        'PATCH 503',
        'GET 204',
        'PATCH 202',
        'PATCH 202',
        'PUT 201',
      ]);
      expect((await readStream(await repo.fetchBlob(desc))).equals(bytes)).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('cancels an upload (DELETE) when a chunk is refused', async () => {
    const { client } = makeClient({ registries: { [proxy.host]: { chunkSize: 40_000 } } });
    try {
      const repo = client.repository(proxy.host, 'faults/refused', { push: true });
      const { bytes, desc } = blob('refused', 100_000);
      const body = JSON.stringify({ errors: [{ code: 'BLOB_UPLOAD_INVALID', message: 'no' }] });
      proxy.setRules([{ kind: 'status', status: 400, method: 'PATCH', nth: 2, body }]);
      await expect(repo.pushBlob(desc, opener(bytes).open)).rejects.toMatchObject({
        code: 'REGISTRY_ERROR',
        specCodes: ['BLOB_UPLOAD_INVALID'],
      });
      expect(proxy.requests.at(-1)?.method).toBe('DELETE');
    } finally {
      await client.close();
    }
  });

  it('cancels an upload (DELETE) when the caller aborts mid-transfer', async () => {
    const { client } = makeClient({ registries: { [proxy.host]: { chunkSize: 40_000 } } });
    try {
      const repo = client.repository(proxy.host, 'faults/abort', { push: true });
      const { bytes, desc } = blob('abort', 100_000);
      const controller = new AbortController();
      async function* slow() {
        yield bytes.subarray(0, 50_000);
        controller.abort();
        yield bytes.subarray(50_000);
      }
      const err = await repo
        .pushBlob(desc, async () => Readable.from(slow()), { signal: controller.signal })
        .catch((e: unknown) => e);
      expect(isKimgError(err, 'ABORTED')).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(proxy.requests.at(-1)?.method).toBe('DELETE');
      expect(await repo.blobExists(desc.digest)).toBe(false);
    } finally {
      await client.close();
    }
  });

  it('pushes an artifact with a subject through the proxy (referrers fallback with conditional PUT)', async () => {
    const { client } = makeClient();
    try {
      const image = await pushImage(client, proxy.host, 'faults/ref', 'v1', 'ref');
      const repo = client.repository(proxy.host, 'faults/ref', { push: true });
      const empty = Buffer.from('{}');
      const config = { mediaType: MediaType.OciEmpty, digest: digestOf(empty), size: 2 };
      await repo.pushBlob(config, opener(empty).open);
      const bytes = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.OciManifest,
          artifactType: 'x/y',
          config,
          layers: [config],
          subject: image.manifest,
        }),
      );
      proxy.reset();
      await repo.putManifest(digestOf(bytes), bytes, MediaType.OciManifest);
      const fallbackPut = proxy.requests.filter((r) => r.method === 'PUT').at(-1);
      expect(fallbackPut?.path).toMatch(/manifests\/sha256-[0-9a-f]{64}$/);
      expect(fallbackPut?.headers['if-none-match']).toBe('*');
      expect((await repo.referrers(image.manifest.digest)).map((d) => d.artifactType)).toEqual(['x/y']);
    } finally {
      await client.close();
    }
  });
});
