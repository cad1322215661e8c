import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  certDir,
  kimg,
  kimgOk,
  makeTempDir,
  removeTempDirs,
  skopeo,
  startRegistry,
  type RunningRegistry,
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
