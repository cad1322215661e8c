import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runOk } from './run';
import type { TestUser } from './token-server';

export interface RegistryConfigInput {
  dir: string;
  storageDir: string;
  port: number;
  tls?: { certPath: string; keyPath: string; clientCaPaths?: string[] };
  htpasswdPath?: string;
  token?: { realm: string; service: string; issuer: string; rootCertBundlePath: string };
  extraConfig?: object;
}

/**
 * The distribution 2.8 configuration (docs/configuration.md of distribution/distribution v2.8). Deletes are
 * enabled so tests can exercise DELETE; the health checker is off because it would poll storage in the background.
 */
export function registryConfig(input: RegistryConfigInput): Record<string, unknown> {
  const http: Record<string, unknown> = {
    addr: `127.0.0.1:${input.port}`,
    // A fixed secret silences the "No HTTP secret provided" warning; it signs upload state in Location URLs.
    secret: randomBytes(16).toString('hex'),
  };
  if (input.tls) {
    http.tls = {
      certificate: input.tls.certPath,
      key: input.tls.keyPath,
      ...(input.tls.clientCaPaths ? { clientcas: input.tls.clientCaPaths } : {}),
    };
  }
  let auth: Record<string, unknown> | undefined;
  if (input.htpasswdPath) auth = { htpasswd: { realm: 'kimg-test', path: input.htpasswdPath } };
  if (input.token) {
    const { realm, service, issuer, rootCertBundlePath } = input.token;
    auth = { token: { realm, service, issuer, rootcertbundle: rootCertBundlePath } };
  }
  const base = {
    version: 0.1,
    log: { level: 'warn', formatter: 'text', fields: { service: 'registry' } },
    storage: {
      filesystem: { rootdirectory: input.storageDir },
      delete: { enabled: true },
      maintenance: { uploadpurging: { enabled: false } },
    },
    http,
    health: { storagedriver: { enabled: false } },
    ...(auth ? { auth } : {}),
  };
  return deepMerge(base, (input.extraConfig ?? {}) as Record<string, unknown>);
}

export async function writeRegistryConfig(input: RegistryConfigInput): Promise<string> {
  const path = join(input.dir, 'config.yml');
  await writeFile(path, stringify(registryConfig(input)));
  return path;
}

/** An htpasswd file with bcrypt entries: distribution's htpasswd auth accepts bcrypt only. */
export async function writeHtpasswd(dir: string, users: TestUser[]): Promise<string> {
  const lines: string[] = [];
  for (const user of users) {
    // -C 4 (the bcrypt minimum) keeps each login cheap; the registry re-checks the hash on every request.
    const { stdout } = await runOk('htpasswd', ['-Bbn', '-C', '4', user.username, user.password]);
    lines.push(stdout.trim());
  }
  const path = join(dir, 'htpasswd');
  await writeFile(path, lines.join('\n') + '\n', { mode: 0o600 });
  return path;
}

function deepMerge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    out[key] =
      isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : (value as unknown);
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
