import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { KimgError } from '../../errors';
import { defaultCaCertificates } from './ca-bundle';
import { readCertDir } from './cert-dir';

/** System-wide certs.d roots, in containers/image's order (docker/docker_client.go systemPerHostCertDirPaths). */
export const DEFAULT_CERTS_DIRS: readonly string[] = ['/etc/containers/certs.d', '/etc/docker/certs.d'];

export interface TlsConfigOptions {
  /** `--cert-dir DIR`: DIR itself holds the .crt/.cert/.key files (skopeo semantics); certs.d is not used. */
  certDir?: string;
  /** `--tls-verify=false`: accept any server certificate. Client certificates are still presented. */
  tlsVerify?: boolean;
  /** certs.d roots searched for a `<host[:port]>` folder; the first that has one wins. */
  certsDirs?: readonly string[];
}

/** Ready for undici's `connect` options (and node's tls.connect). */
export interface RegistryTlsConfig {
  /** node's default CAs plus the registry's extra ones; absent when there are no extra ones. */
  ca?: string[];
  cert?: string;
  key?: string;
  rejectUnauthorized: boolean;
}

/**
 * TLS settings for connecting to `host` ('registry.example.com' or 'h:port', as in the image reference).
 * Passing `ca` to node replaces its trusted set, so the extra CAs are appended to the defaults: adding a
 * registry CA must not stop the registry's redirects to public storage (S3, a CDN) from verifying.
 */
export async function resolveTlsConfig(
  host: string,
  options: TlsConfigOptions = {},
): Promise<RegistryTlsConfig> {
  const rejectUnauthorized = options.tlsVerify !== false;
  const dir = await findCertDir(host, options);
  if (!dir) return { rejectUnauthorized };
  let contents;
  try {
    contents = await readCertDir(dir);
  } catch (err) {
    // containers/image skips a system certs.d folder the user may not read (rootless podman); an explicit
    // --cert-dir is the user's own, so its errors stand.
    const cause = err instanceof KimgError ? (err.cause as NodeJS.ErrnoException | undefined) : undefined;
    if (!options.certDir && cause?.code === 'EACCES' && cause.path === dir) return { rejectUnauthorized };
    throw err;
  }
  const config: RegistryTlsConfig = { rejectUnauthorized };
  if (contents.ca.length > 0) config.ca = [...defaultCaCertificates(), ...contents.ca];
  if (contents.cert !== undefined && contents.key !== undefined) {
    config.cert = contents.cert;
    config.key = contents.key;
  }
  return config;
}

async function findCertDir(host: string, options: TlsConfigOptions): Promise<string | undefined> {
  if (options.certDir) {
    // skopeo ignores a missing --cert-dir; an explicit flag naming nothing is almost always a typo.
    if (!(await isDirectory(options.certDir))) {
      throw new KimgError('TLS_CONFIG_INVALID', `--cert-dir ${options.certDir} is not a directory`);
    }
    return options.certDir;
  }
  // The host becomes a path component: refuse anything that could walk out of the certs.d root.
  if (!host || host.includes('/') || host.includes('\\') || host === '.' || host === '..') {
    throw new KimgError(
      'INVALID_ARGUMENT',
      `invalid registry host "${host}"`,
      'a host looks like name[:port]',
    );
  }
  for (const root of options.certsDirs ?? DEFAULT_CERTS_DIRS) {
    const dir = join(root, host);
    if (await isDirectory(dir)) return dir;
  }
  return undefined;
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}
