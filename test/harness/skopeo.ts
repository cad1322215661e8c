import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run, type RunResult } from './run';
import { makeTempDir } from './temp';

/**
 * Runs skopeo with a private, empty auth file and no inherited registry config, so a developer's
 * ~/.docker/config.json or /etc/containers/registries.d never changes what a test proves.
 */
export async function skopeo(args: string[]): Promise<RunResult> {
  const home = await makeTempDir('kimg-skopeo-');
  const authFile = join(home, 'auth.json');
  await writeFile(authFile, '{"auths":{}}', { mode: 0o600 });
  return run('skopeo', args, { env: { ...process.env, HOME: home, REGISTRY_AUTH_FILE: authFile } });
}

/** A skopeo `--cert-dir`: a directory with the CA as `ca.crt` (containers-certs.d(5)). */
export async function certDir(caCertPem: string): Promise<string> {
  const dir = join(await makeTempDir('kimg-certs-'), 'certs');
  await mkdir(dir);
  await writeFile(join(dir, 'ca.crt'), caCertPem);
  return dir;
}
