import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { createCredentialStore } from '../../src/registry/credentials';
import {
  makeTempDir,
  removeTempDirs,
  startFaultProxy,
  startRegistry,
  type Access,
  type FaultProxy,
  type GrantFunction,
  type RunningRegistry,
  type TestUser,
} from '../harness';
import { basicAuth, writeJson } from './credentials-env';
import { blob, opener, pushImage, readStream, testClient } from './helpers';

/**
 * auth.json namespace keys (containers-auth.json(5)) pick the login per repository, as skopeo and podman do:
 * with `HOST/a` → alice and `HOST/b` → bob, requests for `a/x` carry alice's login and requests for `b/y`
 * bob's, in one client. Docker's config.json has host keys only, which keep serving every repository.
 */
const alice: TestUser = { username: 'alice', password: 'alice-ns-3c1f0e9a' };
const bob: TestUser = { username: 'bob', password: 'bob-ns-7d2b4a61' };

/** alice may push and pull `a/*`, bob `b/*` and pull `a/*` (so his mount token covers `a/x:pull`). */
const perUser: GrantFunction = (user, requested) =>
  requested.flatMap((access): Access[] => {
    if (access.type !== 'repository') return [];
    const own =
      (user === 'alice' && access.name.startsWith('a/')) || (user === 'bob' && access.name.startsWith('b/'));
    const reads = user === 'bob' && access.name.startsWith('a/');
    const allowed = own ? ['pull', 'push'] : reads ? ['pull'] : [];
    return [{ ...access, actions: access.actions.filter((a) => allowed.includes(a)) }];
  });

async function namespaceStore(host: string) {
  const authfile = join(await makeTempDir('kimg-ns-auth-'), 'auth.json');
  await writeJson(authfile, {
    auths: {
      [`${host}/a`]: { auth: basicAuth(alice.username, alice.password) },
      [`${host}/b`]: { auth: basicAuth(bob.username, bob.password) },
    },
  });
  return createCredentialStore({ authfile });
}

/** The user name of a Basic Authorization header (never the password: assertions print their values). */
function basicUser(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string' || !header.startsWith('Basic '))
    return header === undefined ? undefined : '?';
  return Buffer.from(header.slice(6), 'base64').toString('utf8').split(':')[0];
}

afterAll(async () => {
  await removeTempDirs();
});

describe('token registry: the login of each repository asks for its tokens', () => {
  let registry: RunningRegistry;

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'token', users: [alice, bob], grant: perUser });
  });
  afterAll(async () => {
    await registry?.stop();
  });

  const requests = () => registry.tokenServer?.requests ?? [];
  const asked = () =>
    requests().map((r) => ({ user: r.user, scopes: [...r.scopes].sort(), status: r.status }));

  it('pushes a/x with alice and b/y with bob from one client', async () => {
    const store = await namespaceStore(registry.host);
    const { client } = testClient({ credentials: (place) => store.get(place) });
    requests().splice(0);
    try {
      await pushImage(client, registry.host, 'a/x', 'v1', 'ns-a');
      await pushImage(client, registry.host, 'b/y', 'v1', 'ns-b');
      expect(asked()).toEqual([
        { user: 'alice', scopes: ['repository:a/x:pull,push'], status: 200 },
        { user: 'bob', scopes: ['repository:b/y:pull,push'], status: 200 },
      ]);
    } finally {
      await client.close();
    }
  });

  it("mounts with the destination's login, and never reuses that token for the source's own requests", async () => {
    const { bytes, desc } = blob('ns-mount', 5_000);
    const { client: seeder } = testClient({ credentials: async () => alice });
    await seeder.repository(registry.host, 'a/src', { push: true }).pushBlob(desc, opener(bytes).open);
    await seeder.close();

    const store = await namespaceStore(registry.host);
    const { client } = testClient({ credentials: (place) => store.get(place) });
    requests().splice(0);
    try {
      const result = await client
        .repository(registry.host, 'b/dst', { push: true })
        .pushBlob(desc, opener(bytes).open, { mountFrom: 'a/src', skipExistsCheck: true });
      expect(result).toEqual({ via: 'mounted' });
      // bob's token also grants pull on a/src; a pull of a/src must still be alice's, with her own token.
      const read = await readStream(await client.repository(registry.host, 'a/src').fetchBlob(desc));
      expect(read.equals(bytes)).toBe(true);
      expect(asked()).toEqual([
        { user: 'bob', scopes: ['repository:a/src:pull', 'repository:b/dst:pull,push'], status: 200 },
        { user: 'alice', scopes: ['repository:a/src:pull'], status: 200 },
      ]);
    } finally {
      await client.close();
    }
  });

  it('uses a host key (docker config.json has no others) for every repository', async () => {
    const home = await makeTempDir('kimg-ns-home-');
    await writeJson(join(home, 'docker', 'config.json'), {
      auths: { [registry.host]: { auth: basicAuth(bob.username, bob.password) } },
    });
    const store = createCredentialStore({
      env: { HOME: home, DOCKER_CONFIG: join(home, 'docker'), XDG_CONFIG_HOME: join(home, 'config') },
    });
    const { client } = testClient({ credentials: (place) => store.get(place) });
    requests().splice(0);
    try {
      await pushImage(client, registry.host, 'b/host-key', 'v1', 'ns-host');
      expect(await client.repository(registry.host, 'a/x').listTags()).toEqual(['v1']);
      expect(asked()).toEqual([
        { user: 'bob', scopes: ['repository:b/host-key:pull,push'], status: 200 },
        { user: 'bob', scopes: ['repository:a/x:pull'], status: 200 },
      ]);
    } finally {
      await client.close();
    }
  });
});

describe('htpasswd registry: Basic credentials per repository', () => {
  let registry: RunningRegistry;
  let proxy: FaultProxy;

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'htpasswd', users: [alice, bob] });
    proxy = await startFaultProxy(registry.url);
  });
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
  });

  it('sends alice with every request for a/x and bob with every request for b/y', async () => {
    proxy.reset();
    const store = await namespaceStore(proxy.host);
    const { client } = testClient({ scheme: () => 'http', credentials: (place) => store.get(place) });
    try {
      await pushImage(client, proxy.host, 'a/x', 'v1', 'basic-a');
      await pushImage(client, proxy.host, 'b/y', 'v1', 'basic-b');
      expect(await client.repository(proxy.host, 'a/x').listTags()).toEqual(['v1']);
    } finally {
      await client.close();
    }
    // Which users reached the registry, per repository (the ping carries none: it only learns the challenge).
    const users = new Map<string, Set<string | undefined>>();
    for (const request of proxy.requests) {
      const repository = /^\/v2\/([a-z]\/[a-z])\//.exec(request.path)?.[1] ?? request.path;
      users.set(
        repository,
        (users.get(repository) ?? new Set()).add(basicUser(request.headers.authorization)),
      );
    }
    expect(Object.fromEntries([...users].map(([repository, seen]) => [repository, [...seen]]))).toEqual({
      '/v2/': [undefined],
      'a/x': ['alice'],
      'b/y': ['bob'],
    });
    expect(proxy.requests.filter((r) => r.status === 401).map((r) => r.path)).toEqual(['/v2/']);
  });

  it("mounts with the destination's login", async () => {
    const store = await namespaceStore(proxy.host);
    const { client } = testClient({ scheme: () => 'http', credentials: (place) => store.get(place) });
    try {
      const { bytes, desc } = blob('basic-mount', 4_000);
      await client.repository(proxy.host, 'a/m', { push: true }).pushBlob(desc, opener(bytes).open);
      proxy.reset();
      const result = await client
        .repository(proxy.host, 'b/m', { push: true })
        .pushBlob(desc, opener(bytes).open, { mountFrom: 'a/m', skipExistsCheck: true });
      expect(result).toEqual({ via: 'mounted' });
      expect(proxy.requests.map((r) => [r.method, r.path, basicUser(r.headers.authorization)])).toEqual([
        ['POST', `/v2/b/m/blobs/uploads/?mount=${encodeURIComponent(desc.digest)}&from=a%2Fm`, 'bob'],
      ]);
    } finally {
      await client.close();
    }
  });
});
