import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeRandomImage, type FixtureImage } from '../fixtures/random-image';
import { httpRequest } from './http-request';
import { startRegistry, type RunningRegistry } from './registry';
import { certDir, skopeo } from './skopeo';
import { makeTempDir, removeTempDirs } from './temp';
import { makeTestCa } from './tls';

// Proves each registry flavour of the harness is a real, working registry: skopeo (a peer client) pushes to it.
let layout: string;
let image: FixtureImage;
const registries: RunningRegistry[] = [];

beforeAll(async () => {
  layout = await makeTempDir();
  image = await writeRandomImage(layout, { ref: 'x', seed: 11 });
});
afterAll(async () => {
  await Promise.all(registries.map((r) => r.stop()));
  await removeTempDirs();
});

async function start(options: Parameters<typeof startRegistry>[0]): Promise<RunningRegistry> {
  const registry = await startRegistry(options);
  registries.push(registry);
  return registry;
}

describe('startRegistry', () => {
  it('plain http: skopeo pushes, the manifest digest survives and lands in the storage dir', async () => {
    const registry = await start({});
    const dest = `docker://${registry.host}/plain/img:1`;
    const copy = await skopeo(['copy', '--dest-tls-verify=false', `oci:${layout}:x`, dest]);
    expect(copy.stderr).toBe('');
    expect(copy.code).toBe(0);
    const inspect = await skopeo(['inspect', '--tls-verify=false', dest]);
    expect(JSON.parse(inspect.stdout).Digest).toBe(image.manifestDigest);
    const repos = join(registry.storageDir, 'docker/registry/v2/repositories/plain');
    expect(await readdir(repos)).toEqual(['img']);
    expect((await httpRequest(`${registry.url}/v2/`)).status).toBe(200);
  });

  it('htpasswd + TLS: skopeo with the CA and credentials pushes; without credentials it is refused', async () => {
    const registry = await start({ auth: 'htpasswd', tls: true });
    const user = registry.users[0]!;
    expect(registry.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const certs = await certDir(registry.caCertPem!);
    const dest = `docker://${registry.host}/secure/img:1`;
    const creds = `--dest-creds=${user.username}:${user.password}`;
    const copy = await skopeo(['copy', `--dest-cert-dir=${certs}`, creds, `oci:${layout}:x`, dest]);
    expect(copy.stderr).toBe('');
    expect(copy.code).toBe(0);
    const anonymous = await skopeo(['copy', `--dest-cert-dir=${certs}`, `oci:${layout}:x`, dest]);
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stderr).toMatch(/authentication required|unauthorized/i);
    const wrongPassword = await skopeo([
      'copy',
      `--dest-cert-dir=${certs}`,
      `--dest-creds=${user.username}:nope`,
      `oci:${layout}:x`,
      dest,
    ]);
    expect(wrongPassword.code).not.toBe(0);
  });

  it('TLS: a client trusting an unrelated CA fails with a certificate error', async () => {
    const registry = await start({ auth: 'htpasswd', tls: true });
    const user = registry.users[0]!;
    const wrongCa = await makeTestCa('kimg-wrong-ca');
    const result = await skopeo([
      'copy',
      `--dest-cert-dir=${await certDir(wrongCa.caCertPem)}`,
      `--dest-creds=${user.username}:${user.password}`,
      `oci:${layout}:x`,
      `docker://${registry.host}/secure/img:1`,
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/x509: certificate signed by unknown authority/);
  });

  it('keeps a caller-owned storage dir across restarts and merges extraConfig into the config', async () => {
    const storageDir = await makeTempDir();
    const extraConfig = { http: { headers: { 'X-Kimg-Test': ['yes'] } } };
    const first = await startRegistry({ storageDir, extraConfig });
    const dest = (r: RunningRegistry): string => `docker://${r.host}/kept/img:1`;
    try {
      expect((await skopeo(['copy', '--dest-tls-verify=false', `oci:${layout}:x`, dest(first)])).code).toBe(
        0,
      );
    } finally {
      await first.stop();
    }
    // stop() waited for the exit: nothing listens there any more.
    const after = await httpRequest(`${first.url}/v2/`).then(
      (res) => res.status,
      (error: NodeJS.ErrnoException) => error.code,
    );
    expect(after).toBe('ECONNREFUSED');
    const second = await start({ storageDir, extraConfig });
    const inspect = await skopeo(['inspect', '--tls-verify=false', dest(second)]);
    expect(JSON.parse(inspect.stdout).Digest).toBe(image.manifestDigest);
    expect((await httpRequest(`${second.url}/v2/`)).headers['x-kimg-test']).toBe('yes');
  });
});
