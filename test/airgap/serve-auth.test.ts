import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  basicAuth,
  certDir,
  httpRequest,
  makeTempDir,
  makeTestCa,
  removeTempDirs,
  runOk,
  skopeo,
} from '../harness';
import { writeServeFixture, type ServeFixture } from './serve-fixtures';
import { pull, startServe, type ServeProcess } from './serve-process';

// --htpasswd with an entry written by the real `htpasswd -B` (apache2-utils), --tls-cert/--tls-key with a
// certificate of a throw-away CA; skopeo is the client, as an air-gapped site's tooling would be.
let fixture: ServeFixture;
let htpasswdFile: string;
const app = () => fixture.images.get('library/app:1') as string;

beforeAll(async () => {
  fixture = await writeServeFixture();
  htpasswdFile = join(await makeTempDir(), 'htpasswd');
  const entry = await runOk('htpasswd', ['-Bbn', 'puller', 's3cret pass']);
  await writeFile(htpasswdFile, `# users\n${entry.stdout.trim()}\n`);
});
afterAll(() => removeTempDirs());

describe('--htpasswd', () => {
  let server: ServeProcess;
  beforeAll(async () => {
    server = await startServe([fixture.storage, '--htpasswd', htpasswdFile]);
  });
  afterAll(() => server?.stop());

  it('without credentials: 401 UNAUTHORIZED with WWW-Authenticate: Basic', async () => {
    const res = await httpRequest(`${server.url}/v2/`);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Basic realm="kimg registry"');
    expect(JSON.parse(res.body.toString()).errors[0].code).toBe('UNAUTHORIZED');
  });

  it('the right password pulls, a wrong one is refused', async () => {
    expect(await pull(server.host, 'library/app:1', ['--src-creds', 'puller:s3cret pass'])).toBe(app());
    const wrong = await skopeo([
      'inspect',
      '--tls-verify=false',
      '--creds',
      'puller:wrong',
      `docker://${server.host}/library/app:1`,
    ]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/unauthorized|authentication required/i);
    const unknown = await httpRequest(`${server.url}/v2/`, {
      headers: { Authorization: basicAuth('nobody', 's3cret pass') },
    });
    expect(unknown.status).toBe(401);
  });

  it('a file with a non-bcrypt entry is refused at start, naming the line', async () => {
    const md5 = join(await makeTempDir(), 'htpasswd');
    await writeFile(md5, (await runOk('htpasswd', ['-mbn', 'old', 'pass'])).stdout);
    await expect(startServe([fixture.storage, '--htpasswd', md5])).rejects.toThrow(
      /htpasswd:1 is not a "user:bcrypt-hash" line[\s\S]*htpasswd -B/,
    );
  });
});

describe('--tls-cert / --tls-key', () => {
  it('serves https; skopeo trusting the CA pulls, one not trusting it fails', async () => {
    const ca = await makeTestCa();
    const cert = await ca.issueServerCert(['127.0.0.1']);
    const server = await startServe([
      fixture.storage,
      '--tls-cert',
      cert.certPath,
      '--tls-key',
      cert.keyPath,
    ]);
    try {
      expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const certs = await certDir(ca.caCertPem);
      const inspect = await skopeo(['inspect', '--cert-dir', certs, `docker://${server.host}/library/app:1`]);
      expect(inspect.code).toBe(0);
      expect(JSON.parse(inspect.stdout).Digest).toBe(app());
      const copy = await skopeo([
        'copy',
        '--src-cert-dir',
        certs,
        `docker://${server.host}/library/app:1`,
        `dir:${join(await makeTempDir(), 'out')}`,
      ]);
      expect(copy.code).toBe(0);
      const untrusted = await skopeo(['inspect', `docker://${server.host}/library/app:1`]);
      expect(untrusted.code).not.toBe(0);
      expect(untrusted.stderr).toMatch(/certificate/);
      // The server survived the failed handshake.
      expect((await httpRequest(`${server.url}/v2/`, { ca: ca.caCertPem })).status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  it('a key that is not PEM is a clear error at start', async () => {
    const bad = join(await makeTempDir(), 'bad.pem');
    await writeFile(bad, 'not a key');
    await expect(startServe([fixture.storage, '--tls-cert', bad, '--tls-key', bad])).rejects.toThrow(
      /TLS certificate or key cannot be used/,
    );
  });
});
