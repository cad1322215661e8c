import { mkdir, open, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as lockfile from 'proper-lockfile';
import { isKimgError } from '../../src/errors';
import { createCredentialStore, normalizeRegistryKey } from '../../src/registry/credentials';
import { removeTempDirs } from '../harness';
import { basicAuth, makeAuthSandbox, readJson, writeJson, type AuthSandbox } from './credentials-env';

afterAll(removeTempDirs);

const HOST = 'registry.example.com:5000';
const login = (user: string) => ({ auths: { [HOST]: { auth: basicAuth(user, `${user}-pw`) } } });

describe('credential lookup order (podman/skopeo)', () => {
  let box: AuthSandbox;
  beforeEach(async () => {
    box = await makeAuthSandbox();
  });

  it('reads $XDG_RUNTIME_DIR, then XDG_CONFIG_HOME, then ~/.docker/config.json, then ~/.dockercfg', async () => {
    const { paths } = box;
    await writeJson(paths.runtime, login('runtime'));
    await writeJson(paths.xdgConfig, login('xdg-config'));
    await writeJson(paths.homeDocker, login('docker'));
    await writeJson(paths.legacy, { [`https://${HOST}/v1/`]: { auth: basicAuth('legacy', 'legacy-pw') } });
    const store = createCredentialStore({ env: box.env });
    const user = async () => ((await store.get(HOST)) as { username: string } | undefined)?.username;

    expect(await user()).toBe('runtime');
    await rm(paths.runtime);
    expect(await user()).toBe('xdg-config');
    await rm(paths.xdgConfig);
    expect(await user()).toBe('docker');
    await rm(paths.homeDocker);
    expect(await user()).toBe('legacy');
    await rm(paths.legacy);
    expect(await user()).toBeUndefined();
  });

  it('$REGISTRY_AUTH_FILE replaces the runtime file and still falls back to docker files', async () => {
    await writeJson(box.paths.registryAuthFile, {
      auths: { 'other.example.com': { auth: basicAuth('env', 'p') } },
    });
    await writeJson(box.paths.runtime, login('runtime'));
    await writeJson(box.paths.homeDocker, login('docker'));
    const store = createCredentialStore({
      env: { ...box.env, REGISTRY_AUTH_FILE: box.paths.registryAuthFile },
    });
    expect(await store.get('other.example.com')).toEqual({ username: 'env', password: 'p' });
    // podman: the runtime file is the primary file only when REGISTRY_AUTH_FILE is unset.
    expect(await store.get(HOST)).toEqual({ username: 'docker', password: 'docker-pw' });
  });

  it('$DOCKER_CONFIG replaces ~/.docker', async () => {
    await writeJson(join(box.paths.dockerConfigDir, 'config.json'), login('docker-config'));
    await writeJson(box.paths.homeDocker, login('home'));
    const store = createCredentialStore({ env: { ...box.env, DOCKER_CONFIG: box.paths.dockerConfigDir } });
    expect(await store.get(HOST)).toEqual({ username: 'docker-config', password: 'docker-config-pw' });
  });

  it('--authfile is the only file read', async () => {
    const authfile = join(box.root, 'only.json');
    await writeJson(authfile, { auths: { 'quay.io': { auth: basicAuth('only', 'p') } } });
    await writeJson(box.paths.runtime, login('runtime'));
    const store = createCredentialStore({ authfile, env: box.env });
    expect(await store.get('quay.io')).toEqual({ username: 'only', password: 'p' });
    expect(await store.get(HOST)).toBeUndefined();
  });
});

describe('registry keys', () => {
  it('normalizes docker URLs and Docker Hub aliases, keeps containers namespaces', () => {
    expect(normalizeRegistryKey('https://index.docker.io/v1/')).toBe('docker.io');
    expect(normalizeRegistryKey('registry-1.docker.io')).toBe('docker.io');
    expect(normalizeRegistryKey('http://Reg.Example.com:5000/v2/')).toBe('reg.example.com:5000');
    expect(normalizeRegistryKey('quay.io/org/')).toBe('quay.io/org');
    expect(normalizeRegistryKey('docker.io/library')).toBe('docker.io/library');
  });

  it('finds docker login entries for every Docker Hub spelling', async () => {
    const box = await makeAuthSandbox();
    await writeJson(box.paths.homeDocker, {
      auths: {
        'https://index.docker.io/v1/': { auth: basicAuth('hub', 's') },
        'https://my.reg:5000/v2/': { auth: basicAuth('u', 'p') },
      },
    });
    const store = createCredentialStore({ env: box.env });
    for (const host of ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'docker.io/library/nginx']) {
      expect(await store.get(host)).toEqual({ username: 'hub', password: 's' });
    }
    expect(await store.get('my.reg:5000')).toEqual({ username: 'u', password: 'p' });
  });

  it('matches auth.json namespace keys most specific first', async () => {
    const box = await makeAuthSandbox();
    await writeJson(box.paths.runtime, {
      auths: {
        'quay.io': { auth: basicAuth('host', 'p') },
        'quay.io/org': { auth: basicAuth('org', 'p') },
        'quay.io/org/app': { auth: basicAuth('app', 'p') },
      },
    });
    const store = createCredentialStore({ env: box.env });
    const user = async (r: string) => ((await store.get(r)) as { username: string }).username;
    expect(await user('quay.io/org/app')).toBe('app');
    expect(await user('quay.io/org/other')).toBe('org');
    expect(await user('quay.io/else/x')).toBe('host');
    expect(await user('quay.io')).toBe('host');
  });
});

describe('entries', () => {
  it('returns identity tokens, with the username when auth carries one', async () => {
    const box = await makeAuthSandbox();
    await writeJson(box.paths.runtime, {
      auths: {
        'a.example': { auth: basicAuth('me', ''), identitytoken: 'refresh-token' },
        'b.example': { identitytoken: 'only-token' },
        'c.example': { auth: Buffer.from('no-colon').toString('base64') },
        'd.example': {},
      },
    });
    const store = createCredentialStore({ env: box.env });
    expect(await store.get('a.example')).toEqual({ identityToken: 'refresh-token', username: 'me' });
    expect(await store.get('b.example')).toEqual({ identityToken: 'only-token' });
    // docker and containers/image skip entries that are not user:password.
    expect(await store.get('c.example')).toBeUndefined();
    expect(await store.get('d.example')).toBeUndefined();
  });

  it('reports a corrupt file by name without quoting its content', async () => {
    const box = await makeAuthSandbox();
    await writeJson(box.paths.runtime, {}); // makes the directory
    await writeFile(box.paths.runtime, '{"auths": {"x": {"auth": "hunter2-secret"');
    const store = createCredentialStore({ env: box.env });
    const err = await store.get('x').catch((e: unknown) => e);
    expect(isKimgError(err, 'AUTH_FILE_INVALID')).toBe(true);
    expect((err as Error).message).toContain(box.paths.runtime);
    expect((err as Error).message).not.toContain('hunter2');
    expect(String((err as Error).cause ?? '')).not.toContain('hunter2');
  });

  it('reports a wrong shape with the field', async () => {
    const box = await makeAuthSandbox();
    await writeJson(box.paths.runtime, { auths: { 'x.example': { auth: 42 } } });
    const err = await createCredentialStore({ env: box.env })
      .get('x.example')
      .catch((e: unknown) => e);
    expect(isKimgError(err, 'AUTH_FILE_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(/auths\.x\.example\.auth/);
  });
});

describe('store and erase', () => {
  it('rewrites the runtime file 0600, keeping other hosts and unknown fields', async () => {
    const box = await makeAuthSandbox();
    // An existing file with another login, an unknown entry field and an unknown top-level field.
    await writeJson(box.paths.runtime, {
      auths: { 'keep.example': { auth: basicAuth('k', 'p'), email: 'k@example.com' } },
      psFormat: 'x',
    });
    const store = createCredentialStore({ env: box.env });

    expect(await store.store('docker.io', { username: 'hub', password: 'pw' })).toBe(box.paths.runtime);
    expect((await stat(box.paths.runtime)).mode & 0o777).toBe(0o600);
    const file = await readJson(box.paths.runtime);
    expect(file).toEqual({
      auths: {
        'keep.example': { auth: basicAuth('k', 'p'), email: 'k@example.com' },
        'docker.io': { auth: basicAuth('hub', 'pw') },
      },
      psFormat: 'x',
    });
    expect(await store.get('registry-1.docker.io')).toEqual({ username: 'hub', password: 'pw' });
  });

  it('creates the containers dir 0700', async () => {
    const box = await makeAuthSandbox();
    await createCredentialStore({ env: box.env }).store('a.example', { username: 'u', password: 'p' });
    expect((await stat(join(box.env.XDG_RUNTIME_DIR as string, 'containers'))).mode & 0o777).toBe(0o700);
    expect((await stat(box.paths.runtime)).mode & 0o777).toBe(0o600);
  });

  it('replaces the file by rename, leaving no temp files, so readers never see half a file', async () => {
    const box = await makeAuthSandbox();
    const store = createCredentialStore({ env: box.env });
    await store.store('a.example', { username: 'u', password: 'p' });
    // A reader that opened the file before the writes keeps seeing the old file: it was replaced, not rewritten.
    const before = await open(box.paths.runtime);
    let reading = true;
    let reads = 0;
    const reader = (async () => {
      while (reading) {
        await createCredentialStore({ env: box.env }).get('a.example'); // throws on a torn file
        reads++;
      }
    })();
    for (let i = 0; i < 40; i++)
      await store.store(`host${i}.example`, { username: 'u', password: 'p'.repeat(200) });
    reading = false;
    await reader;
    expect(reads).toBeGreaterThan(0);
    const old = JSON.parse(await before.readFile('utf8')) as { auths: object };
    await before.close();
    expect(Object.keys(old.auths)).toEqual(['a.example']);
    expect(Object.keys((await readJson(box.paths.runtime)).auths as object)).toHaveLength(41);
    expect(await readdir(join(box.env.XDG_RUNTIME_DIR as string, 'containers'))).toEqual(['auth.json']);
  });

  it('updates a docker login in place, keeping docker spelling, and writes docker config without XDG_RUNTIME_DIR', async () => {
    const box = await makeAuthSandbox();
    const env = { ...box.env, XDG_RUNTIME_DIR: undefined };
    await writeJson(box.paths.homeDocker, {
      auths: { 'https://index.docker.io/v1/': { auth: basicAuth('old', 'o') } },
    });
    const store = createCredentialStore({ env });
    expect(await store.store('docker.io', { username: 'new', password: 'n' })).toBe(box.paths.homeDocker);
    expect(await readJson(box.paths.homeDocker)).toEqual({
      auths: { 'https://index.docker.io/v1/': { auth: basicAuth('new', 'n') } },
    });
    await rm(box.paths.homeDocker);
    await store.store('index.docker.io', { username: 'again', password: 'a' });
    expect(Object.keys((await readJson(box.paths.homeDocker)).auths as object)).toEqual([
      'https://index.docker.io/v1/',
    ]);
  });

  it('stores identity tokens', async () => {
    const box = await makeAuthSandbox();
    const store = createCredentialStore({ env: box.env });
    await store.store('a.example', { identityToken: 'tok', username: 'me' });
    expect(await store.get('a.example')).toEqual({ identityToken: 'tok', username: 'me' });
    expect(((await readJson(box.paths.runtime)).auths as Record<string, unknown>)['a.example']).toEqual({
      auth: basicAuth('me', ''),
      identitytoken: 'tok',
    });
  });

  it('refuses to create a missing $XDG_RUNTIME_DIR', async () => {
    const box = await makeAuthSandbox();
    const env = { ...box.env, XDG_RUNTIME_DIR: join(box.root, 'typo') };
    const err = await createCredentialStore({ env })
      .store('a.example', { username: 'u', password: 'p' })
      .catch((e: unknown) => e);
    expect(isKimgError(err, 'IO_ERROR')).toBe(true);
    expect((err as Error).message).toContain('XDG_RUNTIME_DIR');
  });

  it('serializes parallel stores and erases on one file under FILE.lock, keeping every entry', async () => {
    const box = await makeAuthSandbox();
    const store = createCredentialStore({ env: box.env });
    const hosts = Array.from({ length: 12 }, (_, i) => `h${i}.example`);
    await Promise.all(hosts.map((host) => store.store(host, { username: 'u', password: 'p' })));
    expect(Object.keys((await readJson(box.paths.runtime)).auths as object).sort()).toEqual(
      [...hosts].sort(),
    );
    await Promise.all(hosts.slice(0, 6).map((host) => store.erase(host)));
    expect(Object.keys((await readJson(box.paths.runtime)).auths as object).sort()).toEqual(
      hosts.slice(6).sort(),
    );
    expect(await readdir(join(box.env.XDG_RUNTIME_DIR as string, 'containers'))).toEqual(['auth.json']);
  });

  it('waits for a live lock holder, and takes over the lock of a killed one', async () => {
    const box = await makeAuthSandbox();
    const store = createCredentialStore({ env: box.env });
    await store.store('first.example', { username: 'u', password: 'p' });
    const release = await lockfile.lock(box.paths.runtime, { realpath: false });
    let stored = false;
    const waiting = store
      .store('second.example', { username: 'u', password: 'p' })
      .then(() => (stored = true));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(stored).toBe(false);
    await release();
    await waiting;
    // A lock left by a process killed mid-login: older than the stale limit, taken over.
    await mkdir(`${box.paths.runtime}.lock`);
    const old = new Date(Date.now() - 60_000);
    await utimes(`${box.paths.runtime}.lock`, old, old);
    await store.store('third.example', { username: 'u', password: 'p' });
    expect(Object.keys((await readJson(box.paths.runtime)).auths as object)).toEqual([
      'first.example',
      'second.example',
      'third.example',
    ]);
    expect(await readdir(join(box.env.XDG_RUNTIME_DIR as string, 'containers'))).toEqual(['auth.json']);
  });

  it('erases every spelling of the registry and nothing else', async () => {
    const box = await makeAuthSandbox();
    await writeJson(box.paths.runtime, {
      auths: {
        'docker.io': { auth: basicAuth('a', 'b') },
        'https://index.docker.io/v1/': { auth: basicAuth('a', 'b') },
        'docker.io/org': { auth: basicAuth('org', 'b') },
        'quay.io': { auth: basicAuth('q', 'b') },
      },
      custom: true,
    });
    const store = createCredentialStore({ env: box.env });
    expect(await store.erase('registry-1.docker.io')).toBe(true);
    expect(await readJson(box.paths.runtime)).toEqual({
      auths: { 'docker.io/org': { auth: basicAuth('org', 'b') }, 'quay.io': { auth: basicAuth('q', 'b') } },
      custom: true,
    });
    expect(await store.erase('docker.io')).toBe(false);
    expect((await stat(box.paths.runtime)).mode & 0o777).toBe(0o600);
    await rm(box.paths.runtime);
    expect(await store.erase('quay.io')).toBe(false);
  });
});
