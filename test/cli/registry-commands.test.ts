import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveTlsConfig } from '../../src/registry/tls';
import {
  certDir,
  kimg,
  kimgOk,
  makeTempDir,
  removeTempDirs,
  skopeo,
  startRegistry,
  type RunningRegistry,
  type TestUser,
} from '../harness';
import { parseRegistryArg } from '../../src/cli/registry-arg';
import { pushImage, testClient } from '../registry/helpers';

/**
 * `kimg login`, `logout`, `tags` and `delete` against real docker-registry instances (htpasswd + TLS, token
 * auth, plain), with skopeo reading the auth files we write as the interop proof.
 */
let work: string;

beforeAll(async () => {
  work = await makeTempDir('kimg-registry-cli-');
});
afterAll(async () => {
  await removeTempDirs();
});

const login = (host: string, user: TestUser, password: string, extra: string[]) =>
  kimg(['login', host, '-u', user.username, '--password-stdin', ...extra], { input: `${password}\n` });

async function authFileMode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

describe('login and logout against htpasswd + TLS', () => {
  let registry: RunningRegistry;
  let certs: string;
  let user: TestUser;

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'htpasswd', tls: true });
    certs = await certDir(registry.caCertPem as string);
    user = registry.users[0] as TestUser;
    const { client } = testClient({
      credentials: async () => user,
      tls: (host) => resolveTlsConfig(host, { certDir: certs }),
    });
    await pushImage(client, registry.host, 'login/app', 'v1', 'login');
    await client.close();
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('checks the password, saves a 0600 file skopeo can use, and logout removes the entry', async () => {
    const authfile = join(work, 'tls-auth.json');
    const flags = ['--authfile', authfile, '--cert-dir', certs];
    const ok = await login(registry.host, user, user.password, flags);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('Login Succeeded');
    expect(ok.stdout).toContain(authfile);
    expect(await authFileMode(authfile)).toBe(0o600);
    const saved = JSON.parse(await readFile(authfile, 'utf8'));
    expect(saved.auths[registry.host].auth).toBe(
      Buffer.from(`${user.username}:${user.password}`).toString('base64'),
    );

    // Interop: skopeo logs in with our file; without it the registry refuses.
    const ref = `docker://${registry.host}/login/app:v1`;
    // (--raw: the test image's config is random bytes, which skopeo would not parse.)
    const inspected = await skopeo(['inspect', '--raw', '--authfile', authfile, '--cert-dir', certs, ref]);
    expect(inspected).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(inspected.stdout).schemaVersion).toBe(2);
    const anonymous = await skopeo(['inspect', '--raw', '--cert-dir', certs, ref]);
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stderr).toMatch(/unauthorized|authentication required/i);
    // …and kimg's own commands read it.
    const tags = await kimgOk(['tags', `docker://${registry.host}/login/app`, ...flags]);
    expect(tags.stdout.trim()).toBe('v1');

    // A wrong password fails clearly and leaves the file as it was.
    const before = await readFile(authfile);
    const wrong = await login(registry.host, user, `${user.password}x`, flags);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/login to .* failed: the registry refused the username or password/);
    expect(wrong.stderr).toContain('nothing was saved');
    expect(await readFile(authfile)).toEqual(before);

    const out = await kimgOk(['logout', registry.host, '--authfile', authfile]);
    expect(out.stdout).toContain(`Removed login credentials for ${registry.host}`);
    expect(JSON.parse(await readFile(authfile, 'utf8')).auths).toEqual({});
    const again = await kimgOk(['logout', registry.host, '--authfile', authfile]);
    expect(again.stdout).toContain(`Not logged in to ${registry.host}`);
  });

  it('saves nothing when the first login is wrong', async () => {
    const authfile = join(work, 'never.json');
    const wrong = await login(registry.host, user, 'nope', ['--authfile', authfile, '--cert-dir', certs]);
    expect(wrong.code).toBe(1);
    await expect(stat(authfile)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('fails with a TLS error, saving nothing, when the CA is not trusted', async () => {
    const authfile = join(work, 'untrusted.json');
    const result = await login(registry.host, user, user.password, ['--authfile', authfile]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/certificate/i);
    await expect(stat(authfile)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('tells the user to log in when a command meets the registry without credentials', async () => {
    const result = await kimg([
      'tags',
      `docker://${registry.host}/login/app`,
      '--cert-dir',
      certs,
      '--authfile',
      join(work, 'empty.json'),
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`kimg login ${registry.host}`);
  });
});

describe('login against a token registry', () => {
  let registry: RunningRegistry;
  let user: TestUser;

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'token' });
    user = registry.users[0] as TestUser;
    const { client } = testClient({ credentials: async () => user });
    await pushImage(client, registry.host, 'token/app', 'v1', 'token');
    await client.close();
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('asks the token server, saves on success, refuses a wrong password, and skopeo uses the file', async () => {
    const authfile = join(work, 'token-auth.json');
    const server = registry.tokenServer;
    if (!server) throw new Error('no token server');
    server.requests.splice(0);
    const ok = await login(registry.host, user, user.password, ['--authfile', authfile]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('Login Succeeded');
    expect(server.requests).toContainEqual(
      expect.objectContaining({ authorization: true, user: user.username, status: 200 }),
    );
    expect(await authFileMode(authfile)).toBe(0o600);
    expect(await readFile(authfile, 'utf8')).toContain(registry.host);

    const before = await readFile(authfile);
    server.requests.splice(0);
    const wrong = await login(registry.host, user, 'wrong-password', ['--authfile', authfile]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('refused the username or password');
    expect(server.requests.map((r) => r.status)).toEqual([401]);
    expect(await readFile(authfile)).toEqual(before);

    const ref = `docker://${registry.host}/token/app:v1`;
    const inspected = await skopeo(['inspect', '--raw', '--tls-verify=false', '--authfile', authfile, ref]);
    expect(inspected).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(inspected.stdout).schemaVersion).toBe(2);
  });

  it('warns that -p is visible in the process list, and still logs in', async () => {
    const authfile = join(work, 'token-p.json');
    const result = await kimg([
      'login',
      registry.host,
      '-u',
      user.username,
      '-p',
      user.password,
      '--authfile',
      authfile,
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/warning: --password is visible to other users in the process list/);
  });

  it('fails without a terminal instead of waiting for a password', async () => {
    const result = await kimg(['login', registry.host, '-u', user.username]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no password given, and stdin is not a terminal');
    expect(result.stderr).toContain('--password-stdin');
  });
});

describe('logout when another file still holds the login', () => {
  it('removes its own entry and names the file the login still comes from', async () => {
    const home = await makeTempDir('kimg-home-');
    const dockerDir = join(home, 'docker');
    await mkdir(dockerDir);
    const entry = { auth: Buffer.from('u:p').toString('base64') };
    const dockerConfig = join(dockerDir, 'config.json');
    await writeFile(dockerConfig, JSON.stringify({ auths: { 'registry.example.com': entry } }), {
      mode: 0o600,
    });
    const primary = join(home, 'auth.json');
    await writeFile(primary, JSON.stringify({ auths: { 'registry.example.com': entry } }), { mode: 0o600 });
    const env = {
      HOME: home,
      REGISTRY_AUTH_FILE: primary,
      DOCKER_CONFIG: dockerDir,
      XDG_CONFIG_HOME: join(home, 'config'),
    };
    const result = await kimgOk(['logout', 'registry.example.com'], { env });
    expect(result.stdout).toContain(`Removed login credentials for registry.example.com from ${primary}`);
    expect(result.stderr).toContain(`credentials for registry.example.com still come from ${dockerConfig}`);
  });
});

describe('tags and delete', () => {
  let registry: RunningRegistry;
  let noDelete: RunningRegistry;
  const { client } = testClient();
  const tags = Array.from({ length: 30 }, (_, i) => `t${String(i).padStart(2, '0')}`);

  beforeAll(async () => {
    [registry, noDelete] = await Promise.all([
      startRegistry(),
      startRegistry({ extraConfig: { storage: { delete: { enabled: false } } } }),
    ]);
    const image = await pushImage(client, registry.host, 'many/app', 'base', 'many');
    const repo = client.repository(registry.host, 'many/app', { push: true });
    for (const tag of tags) await repo.putManifest(tag, image.bytes, image.manifest.mediaType);
    await pushImage(client, noDelete.host, 'kept/app', 'v1', 'kept');
  });
  afterAll(async () => {
    await client.close();
    await Promise.all([registry?.stop(), noDelete?.stop()]);
  });

  it('lists every tag, one per line or as a JSON array', async () => {
    const human = await kimgOk(['tags', `docker://${registry.host}/many/app`]);
    expect(human.stdout.trim().split('\n').sort()).toEqual(['base', ...tags].sort());
    const json = await kimgOk(['tags', `docker://${registry.host}/many/app`, '--format', 'json']);
    expect((JSON.parse(json.stdout) as string[]).sort()).toEqual(['base', ...tags].sort());
  });

  it('refuses a tag in the repository argument and reports an unknown repository', async () => {
    const tagged = await kimg(['tags', `docker://${registry.host}/many/app:base`]);
    expect(tagged.code).toBe(2);
    expect(tagged.stderr).toContain('names an image, not a repository');
    const unknown = await kimg(['tags', `docker://${registry.host}/no/such`]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('NAME_UNKNOWN');
  });

  it('deletes by tag through the digest, and the manifest and its tags are gone', async () => {
    const a = await pushImage(client, registry.host, 'del/app', 'v1', 'del-a');
    const repo = client.repository(registry.host, 'del/app', { push: true });
    await repo.putManifest('v1-alias', a.bytes, a.manifest.mediaType);
    const b = await pushImage(client, registry.host, 'del/app', 'v2', 'del-b');

    const deleted = await kimgOk(['delete', `docker://${registry.host}/del/app:v1`]);
    expect(deleted.stdout).toContain(`Deleted ${registry.host}/del/app@${a.manifest.digest}`);
    expect((await kimgOk(['tags', `docker://${registry.host}/del/app`])).stdout.trim()).toBe('v2');
    const gone = await skopeo(['inspect', '--tls-verify=false', `docker://${registry.host}/del/app:v1`]);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toMatch(/manifest unknown/i);

    const byDigest = await kimgOk([
      'delete',
      `docker://${registry.host}/del/app@${b.manifest.digest}`,
      '--format',
      'json',
    ]);
    expect(JSON.parse(byDigest.stdout)).toEqual({
      deleted: `${registry.host}/del/app@${b.manifest.digest}`,
      digest: b.manifest.digest,
    });
    expect((await kimgOk(['tags', `docker://${registry.host}/del/app`])).stdout.trim()).toBe('');

    const missing = await kimg(['delete', `docker://${registry.host}/del/app:v1`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('nothing to delete');
  });

  it('explains a registry without deletes, with its UNSUPPORTED code and a hint', async () => {
    const result = await kimg(['delete', `docker://${noDelete.host}/kept/app:v1`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('UNSUPPORTED');
    expect(result.stderr).toContain('storage.delete.enabled');
    expect((await kimgOk(['tags', `docker://${noDelete.host}/kept/app`])).stdout.trim()).toBe('v1');
  });

  it('refuses a place that is not a registry', async () => {
    const result = await kimg(['delete', 'oci:/tmp/x:y']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('kimg rmi');
  });
});

describe('registry arguments', () => {
  it('accepts what podman and docker accept, and refuses the rest', () => {
    expect(parseRegistryArg('https://Quay.io/v2/')).toEqual({ key: 'quay.io', host: 'quay.io' });
    expect(parseRegistryArg('docker://localhost:5000')).toEqual({
      key: 'localhost:5000',
      host: 'localhost:5000',
    });
    expect(parseRegistryArg('quay.io/org/app')).toEqual({ key: 'quay.io/org/app', host: 'quay.io' });
    expect(parseRegistryArg('index.docker.io')).toEqual({ key: 'docker.io', host: 'docker.io' });
    expect(parseRegistryArg('[::1]:5000').host).toBe('[::1]:5000');
    for (const bad of ['', 'a b', 'host:port', 'quay.io/Org']) {
      expect(() => parseRegistryArg(bad)).toThrow(/invalid registry/);
    }
  });
});
