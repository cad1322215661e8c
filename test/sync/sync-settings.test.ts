import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import type { RegistryClient } from '../../src/registry';
import { createRegistryClient } from '../../src/transport/registry';
import { writeRandomImage, type FixtureImage } from '../fixtures/random-image';
import { certDir, kimg, makeTempDir, removeTempDirs, startRegistry, type RunningRegistry } from '../harness';
import { pushLayout } from '../transport/registry-helpers';
import { writeSyncFile } from './sync-fixtures';

// A sync file's per-registry settings: the source is htpasswd + TLS with a self-signed CA, reached only through
// the file's `credentials` and `cert-dir` (no --authfile, no --cert-dir on the command line).
let secured: RunningRegistry;
let plain: RunningRegistry;
let client: RegistryClient;
let image: FixtureImage;
let certs: string;

beforeAll(async () => {
  [secured, plain] = await Promise.all([startRegistry({ auth: 'htpasswd', tls: true }), startRegistry()]);
  certs = await certDir(secured.caCertPem as string);
  const user = secured.users[0] as { username: string; password: string };
  client = createRegistryClient({ certDir: certs }, { credentials: async () => user });
  const layout = await makeTempDir();
  image = await writeRandomImage(layout, { ref: '1', seed: 31 });
  await pushLayout(client, layout, '1', `docker://${secured.host}/team/app:1`);
}, 60_000);
afterAll(async () => {
  await client?.close();
  await Promise.all([secured?.stop(), plain?.stop()]);
  await removeTempDirs();
});

describe('sync file credentials, cert-dir and tls-verify', () => {
  it("logs in and trusts the CA with the file's settings for its registry only", async () => {
    const user = secured.users[0] as { username: string; password: string };
    const root = await makeTempDir('kimg-root-');
    // An empty auth file, so nothing but the sync file can log in.
    const authfile = join(root, 'auth.json');
    await writeFile(authfile, '{"auths":{}}', { mode: 0o600 });
    const text = (credentials: string) => `${secured.host}:
  cert-dir: ${certs}
  tls-verify: true
${credentials}  images:
    team/app: ["1"]
`;
    const withLogin = await writeSyncFile(
      text(`  credentials:\n    username: ${user.username}\n    password: "${user.password}"\n`),
    );
    const ok = await kimg(['sync', '-f', withLogin, `${plain.host}/mirror`, '--authfile', authfile], {
      root,
    });
    expect(ok.stderr).not.toContain('error');
    expect(ok.code).toBe(0);
    const copied = await client.repository(plain.host, 'mirror/app').headManifest('1');
    expect(copied?.digest).toBe(image.manifestDigest);
    // The human report: one row per image, then the totals.
    expect(ok.stdout).toMatch(
      /^STATUS +SOURCE +DESTINATION +SIZE\/REASON\ncopied +\S+\/team\/app:1 +docker:\/\/\S+\/mirror\/app:1 /,
    );
    expect(ok.stdout).toMatch(/1 copied, 0 skipped, 0 failed; [\d.]+ kB, \d+ requests, [\d.]+ s\n$/);
    // The password never reaches the output.
    expect(ok.stdout).not.toContain(user.password);

    const anonymous = await writeSyncFile(text(''));
    const refused = await kimg(['sync', '-f', anonymous, `${plain.host}/other`, '--authfile', authfile], {
      root,
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('returned 401');
  }, 60_000);
});
