/**
 * What a registry login yields. docker and containers/image know two shapes: a username and password for the
 * Basic or token handshake, or an OAuth2 refresh ("identity") token that the token server exchanges for access
 * tokens (docker/cli types.AuthConfig.IdentityToken; distribution docs/spec/auth/oauth.md).
 */
export type Credentials =
  { username: string; password: string } | { identityToken: string; username?: string };

export interface CredentialCallOptions {
  /** Stops a credential helper that hangs (a locked keychain waiting for a prompt, for example). */
  signal?: AbortSignal;
}

/**
 * Where logins live: auth files in the podman/docker formats, and the `docker-credential-*` helpers they name.
 * `registry` is a host (`quay.io`, `localhost:5000`) or, for auth.json namespace keys, `host/namespace/repo`.
 */
export interface CredentialStore {
  /** The credentials for `registry`, or undefined when the user is not logged in there. */
  get(registry: string, options?: CredentialCallOptions): Promise<Credentials | undefined>;
  /** Saves a login; returns the file written, or `credential helper: NAME` when a helper kept it. */
  store(registry: string, credentials: Credentials, options?: CredentialCallOptions): Promise<string>;
  /** Forgets a login; false when there was none to forget. */
  erase(registry: string, options?: CredentialCallOptions): Promise<boolean>;
}

export function isIdentityToken(
  credentials: Credentials,
): credentials is { identityToken: string; username?: string } {
  return 'identityToken' in credentials;
}

/** The secret parts, for redactSecrets. */
export function secretsOf(credentials: Credentials): string[] {
  return isIdentityToken(credentials) ? [credentials.identityToken] : [credentials.password];
}
