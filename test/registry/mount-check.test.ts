import {
  removeTempDirs,
  startFaultProxy,
  startRegistry,
  type FaultProxy,
  type RunningRegistry,
} from '../harness';
import { blob, opener, readStream, testClient } from './helpers';

/**
 * A mount as the check (registry/client/upload.ts, issue 12): once a host has mounted a blob this run, a blob
 * with no other repository to mount from is "mounted" from its own repository instead of HEADed: 201 = there,
 * 202 = the upload session. Against a real docker-registry, through a proxy that counts and refuses on demand.
 */
describe('a mount into the repository itself as the existence check', () => {
  let registry: RunningRegistry;
  let proxy: FaultProxy;

  beforeAll(async () => {
    registry = await startRegistry();
    proxy = await startFaultProxy(registry.url);
  });
  afterEach(() => proxy.reset());
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
    await removeTempDirs();
  });

  const requests = () => proxy.requests.map((r) => `${r.method} ${r.status}`);

  /** A cross-repository mount the registry answers 201: what proves to the client that this host mounts. */
  async function proveMounts(client: ReturnType<typeof testClient>['client'], seed: string): Promise<void> {
    const { bytes, desc } = blob(seed, 2_000);
    await client.repository(proxy.host, `${seed}/from`, { push: true }).pushBlob(desc, opener(bytes).open);
    const into = client.repository(proxy.host, `${seed}/into`, { push: true });
    const options = { mountFrom: `${seed}/from`, skipExistsCheck: true };
    expect(await into.pushBlob(desc, opener(bytes).open, options)).toEqual({ via: 'mounted' });
  }

  it('HEADs until the host mounted a blob, then asks with the upload POST: 2 requests a new blob, 1 a present one', async () => {
    const { client } = testClient();
    try {
      const repo = client.repository(proxy.host, 'check/app', { push: true });
      await client.ping(proxy.host);
      const first = blob('check-first', 20_000);
      proxy.reset();
      expect(await repo.pushBlob(first.desc, opener(first.bytes).open)).toEqual({ via: 'uploaded' });
      expect(requests()).toEqual(['HEAD 404', 'POST 202', 'PUT 201']);
      expect(repo.pushChecksByMount).toBe(false);

      await proveMounts(client, 'check-prove');
      expect(repo.pushChecksByMount).toBe(true);

      const next = blob('check-next', 30_000);
      proxy.reset();
      expect(await repo.pushBlob(next.desc, opener(next.bytes).open)).toEqual({ via: 'uploaded' });
      expect(requests()).toEqual(['POST 202', 'PUT 201']);
      const post = proxy.requests[0]?.path ?? '';
      expect(post).toContain(`mount=${encodeURIComponent(next.desc.digest)}`);
      expect(post).toContain(`from=${encodeURIComponent('check/app')}`);
      expect((await readStream(await repo.fetchBlob(next.desc))).equals(next.bytes)).toBe(true);

      // Present (uploaded above, and one this client never saw): the POST alone says so, nothing is sent.
      for (const present of [next, first]) {
        proxy.reset();
        const source = opener(present.bytes);
        expect(await repo.pushBlob(present.desc, source.open)).toEqual({ via: 'exists' });
        expect(requests()).toEqual(['POST 201']);
        expect(source.opened()).toBe(0);
      }
    } finally {
      await client.close();
    }
  });

  it('asks with a HEAD again, for the rest of the run, once the registry refuses a mount into the same repository', async () => {
    const { client } = testClient();
    try {
      await proveMounts(client, 'refuse-prove');
      const repo = client.repository(proxy.host, 'refuse/app', { push: true });
      const one = blob('refuse-one', 10_000);
      proxy.reset();
      proxy.setRules([{ kind: 'status', status: 405, method: 'POST', path: /from=refuse%2Fapp/ }]);
      expect(await repo.pushBlob(one.desc, opener(one.bytes).open)).toEqual({ via: 'uploaded' });
      expect(requests()).toEqual(['POST 405', 'HEAD 404', 'POST 202', 'PUT 201']);
      expect(repo.pushChecksByMount).toBe(false);

      const two = blob('refuse-two', 10_000);
      proxy.reset();
      expect(await repo.pushBlob(two.desc, opener(two.bytes).open)).toEqual({ via: 'uploaded' });
      expect(requests()).toEqual(['HEAD 404', 'POST 202', 'PUT 201']);
      expect((await readStream(await repo.fetchBlob(two.desc))).equals(two.bytes)).toBe(true);
    } finally {
      await client.close();
    }
  });
});
