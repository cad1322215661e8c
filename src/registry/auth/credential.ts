/**
 * What src/registry/credentials returns for a host (auth files, credential helpers). Either a username and
 * password, or an identity token (a refresh token from `docker login` to registries that issue them, e.g. ACR).
 */
export type Credential =
  { username: string; password: string } | { identityToken: string; username?: string };

export type CredentialLookup = (host: string) => Promise<Credential | undefined>;

export const anonymous: CredentialLookup = async () => undefined;

export function basicAuthorization(credential: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${credential.username}:${credential.password}`, 'utf8').toString('base64')}`;
}

export function hasPassword(
  credential: Credential | undefined,
): credential is { username: string; password: string } {
  return credential !== undefined && 'password' in credential;
}
