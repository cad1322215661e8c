import { createHash } from 'node:crypto';

/**
 * What src/registry/credentials returns for a host (auth files, credential helpers). Either a username and
 * password, or an identity token (a refresh token from `docker login` to registries that issue them, e.g. ACR).
 */
export type Credential =
  { username: string; password: string } | { identityToken: string; username?: string };

/**
 * The login for a place on a registry, spelled as auth.json keys are: `host/namespace/repo` for a repository's
 * requests (so containers-auth.json(5) namespace keys apply, most specific first, as skopeo and podman look
 * them up per image), `host` for registry-wide requests (ping, catalog, the login check). A lookup that only
 * knows hosts takes the part before the first `/`.
 */
export type CredentialLookup = (registry: string) => Promise<Credential | undefined>;

export const anonymous: CredentialLookup = async () => undefined;

export function basicAuthorization(credential: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${credential.username}:${credential.password}`, 'utf8').toString('base64')}`;
}

export function hasPassword(
  credential: Credential | undefined,
): credential is { username: string; password: string } {
  return credential !== undefined && 'password' in credential;
}

/** The id of anonymous requests in the token cache. */
export const ANONYMOUS_ID = 'anonymous';

/**
 * Which login a token was obtained with, for the token cache key: a token fetched with login A must never
 * serve a request that should use login B. A digest, so the cache holds no secret and the id is stable across
 * the clients that share one cache; it is never printed.
 */
export function credentialId(credential: Credential | undefined): string {
  if (!credential) return ANONYMOUS_ID;
  const material =
    'identityToken' in credential
      ? ['token', credential.identityToken]
      : ['basic', credential.username, credential.password];
  return createHash('sha256').update(material.join('\0')).digest('hex');
}
