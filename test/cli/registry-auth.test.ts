import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  certDir,
  kimg,
  kimgOk,
  makeTempDir,
  removeTempDirs,
  skopeo,
  startRegistry,
  type Access,
  type GrantFunction,
  type RunningRegistry,
  type TestUser,
} from '../harness';
import { writeRandomImage, type FixtureImage } from '../fixtures/random-image';

// htpasswd + TLS (self-signed CA): the CA comes from --cert-dir, the login from --authfile, and the secret never
// appears in output (DESIGN.md security rules).
let registry: RunningRegistry;
let layout: string;
let image: FixtureImage;
let certs: string;
let authfile: string;
let root: string;

beforeAll(async () => {
  registry = await startRegistry({ auth: 'htpasswd', tls: true });
  layout = await makeTempDir();
  root = await makeTempDir('kimg-root-');
  image = await writeRandomImage(layout, { ref: '1', seed: 5 });
  certs = await certDir(registry.caCertPem as string);
  const user = registry.users[0] as { username: string; password: string };
  authfile = join(await makeTempDir(), 'auth.json');
  const auth = Buffer.from(`${user.username}:${user.password}`).toString('base64');
  await writeFile(authfile, JSON.stringify({ auths: { [registry.host]: { auth } } }), { mode: 0o600 });
});
afterAll(async () => {
  await registry?.stop();
  await removeTempDirs();
});

describe('docker:// with htpasswd + TLS', () => {
  it('pushes and pulls with --cert-dir and --authfile; skopeo reads the result', async () => {
    const flags = ['--cert-dir', certs, '--authfile', authfile];
    const pushed = await kimgOk(
      ['copy', `oci:${layout}:1`, `docker://${registry.host}/secure/app:1`, ...flags],
      { root },
    );
    const password = (registry.users[0] as { password: string }).password;
    expect(pushed.stdout + pushed.stderr).not.toContain(password);
    const pulled = JSON.parse(
      (
        await kimgOk(
          ['pull', `${registry.host}/secure/app:1`, '--all-platforms', '--format', 'json', ...flags],
          { root },
        )
      ).stdout,
    );
    expect(pulled.digest).toBe(image.manifestDigest);
    const inspect = await skopeo([
      'inspect',
      '--cert-dir',
      certs,
      '--creds',
      `${registry.users[0]?.username}:${password}`,
      `docker://${registry.host}/secure/app:1`,
    ]);
    expect(JSON.parse(inspect.stdout).Digest).toBe(image.manifestDigest);
  });

  it('without the login: UNAUTHORIZED with a hint; without the CA: a TLS error', async () => {
    const noLogin = await kimg(
      [
        'inspect',
        `docker://${registry.host}/secure/app:1`,
        '--cert-dir',
        certs,
        '--authfile',
        join(root, 'none.json'),
      ],
      { root },
    );
    expect(noLogin.code).toBe(1);
    expect(noLogin.stderr).toMatch(/kimg: error: .*(401|unauthorized|UNAUTHORIZED|authentication)/i);
    const noCa = await kimg(['inspect', `docker://${registry.host}/secure/app:1`, '--authfile', authfile], {
      root,
    });
    expect(noCa.code).toBe(1);
    expect(noCa.stderr).toMatch(/certificate|TLS/i);
    const insecure = await kimg(
      ['inspect', `docker://${registry.host}/secure/app:1`, '--authfile', authfile, '--tls-verify=false'],
      { root },
    );
    expect(insecure.code).toBe(0);
  });
});

// `kimg login HOST/NAMESPACE` writes a containers-auth.json(5) namespace key, as `podman login quay.io/org`
// does, and every command then uses the login of each repository's most specific key: one `kimg copy` reads
// a/x as alice and writes b/y as bob. The token server grants alice only a/* and bob only b/*, so the copy
// succeeds only if each repository's requests carry its own login.
describe('namespace logins', () => {
  const alice: TestUser = { username: 'alice', password: 'alice-cli-5e2a9c' };
  const bob: TestUser = { username: 'bob', password: 'bob-cli-81f3d0' };
  const grant: GrantFunction = (user, requested) =>
    requested.map((access): Access => {
      const own = user !== undefined && access.type === 'repository' && access.name.startsWith(`${user[0]}/`);
      return { ...access, actions: own ? access.actions.filter((a) => a === 'pull' || a === 'push') : [] };
    });
  let tokenRegistry: RunningRegistry;
  let nsAuthfile: string;
  const loginTo = (place: string, user: TestUser, file: string) =>
    kimg(['login', place, '-u', user.username, '--password-stdin', '--authfile', file], {
      input: user.password,
    });

  beforeAll(async () => {
    tokenRegistry = await startRegistry({ auth: 'token', users: [alice, bob], grant });
    nsAuthfile = join(await makeTempDir('kimg-ns-'), 'auth.json');
  });
  afterAll(async () => {
    await tokenRegistry?.stop();
  });

  it('login HOST/NAMESPACE saves a namespace key; copy uses each repository its own login', async () => {
    const host = tokenRegistry.host;
    for (const [place, user] of [
      [`${host}/a`, alice],
      [`${host}/b`, bob],
    ] as const) {
      const result = await loginTo(place, user, nsAuthfile);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`credentials for ${place} saved in ${nsAuthfile}`);
    }
    const saved = JSON.parse(await readFile(nsAuthfile, 'utf8')) as { auths: Record<string, unknown> };
    expect(Object.keys(saved.auths).sort()).toEqual([`${host}/a`, `${host}/b`]);

    const server = tokenRegistry.tokenServer;
    if (!server) throw new Error('no token server');
    server.requests.splice(0);
    const flags = ['--authfile', nsAuthfile];
    await kimgOk(['copy', `oci:${layout}:1`, `docker://${host}/a/x:1`, ...flags], { root });
    const copied = await kimgOk(
      ['copy', `docker://${host}/a/x:1`, `docker://${host}/b/y:1`, ...flags, '--format', 'json'],
      { root },
    );
    expect(copied.stdout + copied.stderr).not.toContain(bob.password);
    // Each token request was made with the login of the repository it was for; a mount from a/x into b/y
    // goes with bob's login (the destination's), which cannot read a/x: refused, then uploaded instead.
    const who = server.requests.map((r) => ({
      user: r.user,
      namespaces: [...new Set(r.scopes.map((scope) => scope.split(':')[1]?.split('/')[0]))].sort().join(','),
    }));
    expect(who.length).toBeGreaterThanOrEqual(2);
    for (const request of who) {
      expect(request).toEqual({
        user: request.namespaces.includes('b') ? 'bob' : 'alice',
        namespaces: request.namespaces,
      });
    }
    expect(who.map((r) => r.user)).toEqual(expect.arrayContaining(['alice', 'bob']));

    // skopeo reads the namespace keys we wrote the same way.
    const inspected = await skopeo([
      'inspect',
      '--raw',
      '--tls-verify=false',
      '--authfile',
      nsAuthfile,
      `docker://${host}/b/y:1`,
    ]);
    expect(inspected).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(inspected.stdout).schemaVersion).toBe(2);

    // logout HOST/NAMESPACE removes that key only; b/y is then read anonymously and refused.
    const out = await kimgOk(['logout', `${host}/b`, ...flags]);
    expect(out.stdout).toContain(`Removed login credentials for ${host}/b`);
    const left = JSON.parse(await readFile(nsAuthfile, 'utf8')) as { auths: Record<string, unknown> };
    expect(Object.keys(left.auths)).toEqual([`${host}/a`]);
    const refused = await kimg(['inspect', `docker://${host}/b/y:1`, ...flags], { root });
    expect(refused.code).toBe(1);
  });

  it('keeps every entry when 8 logins write one auth file at once (locked read-modify-write)', async () => {
    const authfile = join(await makeTempDir('kimg-ns-race-'), 'auth.json');
    const places = Array.from({ length: 8 }, (_, i) => `${tokenRegistry.host}/ns${i}`);
    const results = await Promise.all(places.map((place) => loginTo(place, alice, authfile)));
    expect(results.map((r) => r.code)).toEqual(places.map(() => 0));
    const saved = JSON.parse(await readFile(authfile, 'utf8')) as { auths: Record<string, unknown> };
    expect(Object.keys(saved.auths).sort()).toEqual(places);
    expect((await stat(authfile)).mode & 0o777).toBe(0o600);
    // The lock (auth.json.lock) is gone, and so is every temp file.
    expect(await readdir(dirname(authfile))).toEqual(['auth.json']);
  });
});
