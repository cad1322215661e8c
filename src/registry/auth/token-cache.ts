import { ScopeSet } from './scope';

/**
 * Bearer tokens cached per (realm, service, scopes) until shortly before they expire, and shared by every
 * repository of a client, so a push of 200 blobs asks the token server once (issue 3 §7: "tokens reused").
 */
export interface CachedToken {
  token: string;
  /** Epoch ms after which the token must not be used. */
  expiresAt: number;
  scopes: string[];
  /** Token-server refresh token (OAuth2 `refresh_token`), used for the next token instead of the password. */
  refreshToken?: string;
}

/** Refresh this long before expiry, so a token does not run out between the checks and a chunk's PATCH. */
export const TOKEN_EXPIRY_MARGIN_MS = 10_000;

export class TokenCache {
  private readonly entries = new Map<string, CachedToken[]>();

  constructor(private readonly now: () => number = Date.now) {}

  private static key(realm: string, service: string | undefined): string {
    return `${realm} ${service ?? ''}`;
  }

  /** A fresh token whose scopes cover `scopes`, if any. */
  get(realm: string, service: string | undefined, scopes: readonly string[]): CachedToken | undefined {
    const list = this.entries.get(TokenCache.key(realm, service)) ?? [];
    const limit = this.now() + TOKEN_EXPIRY_MARGIN_MS;
    return list.find((t) => t.expiresAt > limit && new ScopeSet(t.scopes).covers(scopes));
  }

  put(realm: string, service: string | undefined, token: CachedToken): void {
    const key = TokenCache.key(realm, service);
    const now = this.now();
    const list = (this.entries.get(key) ?? []).filter(
      (t) => t.expiresAt > now && t.scopes.join(' ') !== token.scopes.join(' '),
    );
    list.unshift(token);
    this.entries.set(key, list.slice(0, 32));
  }

  /** Drops a token the registry refused (revoked, or a clock skew made it stale early). */
  invalidate(realm: string, service: string | undefined, token: string): void {
    const key = TokenCache.key(realm, service);
    this.entries.set(
      key,
      (this.entries.get(key) ?? []).filter((t) => t.token !== token),
    );
  }

  /** The most recent refresh token for the realm, if the token server handed one out. */
  refreshToken(realm: string, service: string | undefined): string | undefined {
    return this.entries.get(TokenCache.key(realm, service))?.find((t) => t.refreshToken)?.refreshToken;
  }
}
