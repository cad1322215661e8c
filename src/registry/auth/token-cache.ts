import { ScopeSet } from './scope';

/**
 * Bearer tokens cached per (realm, service, login, scopes) until shortly before they expire, and shared by
 * every repository of a client, so a push of 200 blobs asks the token server once (issue 3 §7: "tokens
 * reused"). The login is part of the key: with auth.json namespace keys two repositories of one registry may
 * use different logins, and a token (or refresh token) one login obtained must never serve the other.
 */
export interface CachedToken {
  token: string;
  /** Epoch ms after which the token must not be used. */
  expiresAt: number;
  scopes: string[];
  /** Token-server refresh token (OAuth2 `refresh_token`), used for the next token instead of the password. */
  refreshToken?: string;
}

/** Where a token comes from and for whom: `account` is `credentialId()` of the login that obtained it. */
export interface TokenKey {
  realm: string;
  service: string | undefined;
  account: string;
}

/** Refresh this long before expiry, so a token does not run out between the checks and a chunk's PATCH. */
export const TOKEN_EXPIRY_MARGIN_MS = 10_000;

export class TokenCache {
  private readonly entries = new Map<string, CachedToken[]>();

  constructor(private readonly now: () => number = Date.now) {}

  private static key(key: TokenKey): string {
    return `${key.realm} ${key.service ?? ''} ${key.account}`;
  }

  /** A fresh token whose scopes cover `scopes`, if any. */
  get(key: TokenKey, scopes: readonly string[]): CachedToken | undefined {
    const list = this.entries.get(TokenCache.key(key)) ?? [];
    const limit = this.now() + TOKEN_EXPIRY_MARGIN_MS;
    return list.find((t) => t.expiresAt > limit && new ScopeSet(t.scopes).covers(scopes));
  }

  put(key: TokenKey, token: CachedToken): void {
    const id = TokenCache.key(key);
    const now = this.now();
    const list = (this.entries.get(id) ?? []).filter(
      (t) => t.expiresAt > now && t.scopes.join(' ') !== token.scopes.join(' '),
    );
    list.unshift(token);
    this.entries.set(id, list.slice(0, 32));
  }

  /** Drops a token the registry refused (revoked, or a clock skew made it stale early). */
  invalidate(key: TokenKey, token: string): void {
    const id = TokenCache.key(key);
    this.entries.set(
      id,
      (this.entries.get(id) ?? []).filter((t) => t.token !== token),
    );
  }

  /** The most recent refresh token this login got from the realm, if the token server handed one out. */
  refreshToken(key: TokenKey): string | undefined {
    return this.entries.get(TokenCache.key(key))?.find((t) => t.refreshToken)?.refreshToken;
  }
}
