import { KimgError } from '../errors';
import { parseReference, type ImageLocation, type ImageReference } from '../reference';

/** Where a sync writes: a registry (and a path under it), an OCI layout, or a registry-dir for air-gap media. */
export type SyncDestination =
  | { kind: 'registry'; domain: string; path: string }
  | { kind: 'oci'; dir: string }
  | { kind: 'registry-dir'; dir: string };

export interface NamingOptions {
  /** skopeo's `--scoped`: keep the source's host and full path (`DST/quay.io/org/app:1`). */
  scoped?: boolean;
  /** A path put before every name (`--dest-prefix mirror` → `DST/mirror/app:1`). */
  prefix?: string;
}

/**
 * `DST` as skopeo sync's `--dest docker` takes it (a registry, optionally with a path) or with a transport:
 * `docker://HOST[/PATH]`, `oci:DIR`, `registry-dir:DIR`.
 */
export function parseSyncDestination(text: string): SyncDestination {
  if (text.startsWith('oci:')) return { kind: 'oci', dir: nonEmpty(text.slice(4), text) };
  if (text.startsWith('registry-dir:')) return { kind: 'registry-dir', dir: nonEmpty(text.slice(13), text) };
  const bare = text.replace(/^docker:\/\//, '').replace(/\/+$/, '');
  const slash = bare.indexOf('/');
  const domain = slash === -1 ? bare : bare.slice(0, slash);
  const path = slash === -1 ? '' : bare.slice(slash + 1);
  // Checked as a reference would be: the host, and the path as a repository prefix.
  try {
    parseReference(`${domain}/${path === '' ? 'x' : `${path}/x`}`);
  } catch (err) {
    throw new KimgError(
      'INVALID_ARGUMENT',
      `sync destination "${text}" is not a registry, oci:DIR or registry-dir:DIR`,
      'give a registry (registry.example.com[/path]) or a directory as oci:DIR or registry-dir:DIR',
      { cause: err },
    );
  }
  if (!domain.includes('.') && !domain.includes(':') && domain !== 'localhost') {
    throw new KimgError(
      'INVALID_ARGUMENT',
      `sync destination "${text}" does not start with a registry host`,
      'name the registry first: registry.example.com/mirror, localhost:5000',
    );
  }
  return { kind: 'registry', domain, path };
}

/**
 * The name a source image gets at the destination, as skopeo sync names it: the last path component of the
 * repository (`quay.io/org/app:1` → `app:1`), or with `scoped` the whole source name (`quay.io/org/app:1`),
 * the host made a valid path component (`scopeOf`),
 * under the destination's path and `prefix`.
 */
export function destinationLocation(
  source: ImageReference,
  destination: SyncDestination,
  naming: NamingOptions = {},
): ImageLocation {
  const base = naming.scoped
    ? `${scopeOf(source.domain)}/${source.path}`
    : (source.path.split('/').pop() ?? source.path);
  const repository = [naming.prefix, base].filter((part) => part !== undefined && part !== '').join('/');
  const pin = source.digest !== undefined ? { digest: source.digest } : { tag: source.tag ?? 'latest' };
  switch (destination.kind) {
    case 'registry': {
      const path = destination.path === '' ? repository : `${destination.path}/${repository}`;
      return { transport: 'docker', reference: { domain: destination.domain, path, ...pin } };
    }
    case 'oci':
      return { transport: 'oci', dir: destination.dir, ref: `${repository}${pinText(pin)}` };
    case 'registry-dir':
      // Repositories there have no host: the path is the repository (transport/registry-dir).
      return {
        transport: 'registry-dir',
        dir: destination.dir,
        ref: { domain: 'localhost', path: repository, ...pin },
      };
  }
}

/**
 * The host as a path component: a port's `:` (and an IPv6 address's brackets) cannot be in a repository name,
 * so `127.0.0.1:5000` becomes `127.0.0.1_5000` (skopeo --scoped fails on such hosts instead).
 */
function scopeOf(domain: string): string {
  return domain
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '_')
    .replace(/^[_.-]+|[_.-]+$/g, '');
}

function pinText(pin: { digest?: string; tag?: string }): string {
  return pin.digest !== undefined ? `@${pin.digest}` : `:${pin.tag}`;
}

function nonEmpty(dir: string, text: string): string {
  if (dir === '') throw new KimgError('INVALID_ARGUMENT', `sync destination "${text}" names no directory`);
  return dir;
}
