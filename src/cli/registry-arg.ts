import { KimgError } from '../errors';
import {
  DOMAIN_PATTERN,
  withoutUserinfo,
  PATH_COMPONENT_PATTERN,
  parseReference,
  type ImageReference,
} from '../reference';
import { normalizeRegistryKey, registryHostOf } from '../registry/credentials';

/** A `login`/`logout` argument: the auth-file key it is saved under and the host the registry answers on. */
export interface RegistryArg {
  /** `quay.io`, `localhost:5000`, or a containers namespace key `quay.io/org` (containers-auth.json(5)). */
  key: string;
  host: string;
}

/**
 * `kimg login REGISTRY` accepts what podman and docker accept: `host[:port]`, a namespace `host/org[/repo]`,
 * or a URL (`https://host/v2/`, docker login's old habit) whose path is dropped; `docker://` is allowed too.
 */
export function parseRegistryArg(input: string): RegistryArg {
  const text = input.startsWith('docker://') ? input.slice('docker://'.length) : input;
  const key = normalizeRegistryKey(text);
  const host = registryHostOf(key);
  const namespace = key.split('/').slice(1);
  if (!DOMAIN_PATTERN.test(host) || !namespace.every((part) => PATH_COMPONENT_PATTERN.test(part))) {
    throw new KimgError(
      'USAGE',
      `invalid registry "${shown(input)}"`,
      'name a registry host, e.g. quay.io, localhost:5000 or registry.example.com/namespace',
    );
  }
  return { key, host };
}

/**
 * `kimg tags docker://REPO`: a repository, without tag or digest (skopeo list-tags refuses them too: a tag
 * list belongs to the repository, not to one of its images).
 */
export function parseRepositoryArg(input: string): ImageReference {
  if (!input.startsWith('docker://')) {
    throw new KimgError(
      'USAGE',
      `"${shown(input)}" is not a registry repository`,
      `write docker://REGISTRY/REPOSITORY, e.g. docker://${shown(input).replace(/^[a-z-]+:(\/\/)?/, '')}`,
    );
  }
  const reference = parseReference(input.slice('docker://'.length));
  if (reference.tag !== undefined || reference.digest !== undefined) {
    throw new KimgError(
      'USAGE',
      `"${shown(input)}" names an image, not a repository`,
      `drop the tag or digest: docker://${reference.domain}/${reference.path}`,
    );
  }
  return reference;
}

/**
 * A registry argument as it may be printed: a host never holds `@`, so everything up to the last one is userinfo
 * (`https://user:password@host`), shown as REDACTED. Repository arguments go through the reference's own rule.
 */
function shown(input: string): string {
  const at = input.lastIndexOf('@');
  const slash = input.indexOf('/', at + 1);
  const hostPart = slash === -1 ? input.slice(at + 1) : input.slice(at + 1, slash);
  // `repo@sha256:…` is a digest, not userinfo: only an `@` followed by a host (no ':' before a '/' that is a digest).
  return at === -1 || hostPart.startsWith('sha256:') ? withoutUserinfo(input) : `REDACTED${input.slice(at)}`;
}
