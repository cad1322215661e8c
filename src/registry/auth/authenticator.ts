import type { IncomingHttpHeaders } from 'node:http';
import { KimgError } from '../../errors';
import type { HttpTransport } from '../http/transport';
import { parseChallenges, preferredChallenge, type Challenge } from './challenge';
import { basicAuthorization, hasPassword, type Credential, type CredentialLookup } from './credential';
import { ScopeSet } from './scope';
import { fetchToken } from './token';
import type { CachedToken, TokenCache } from './token-cache';

/**
 * Authorization for one registry origin. Learns the challenge from the ping (or any 401), then answers
 * "which Authorization header for these scopes?" — Basic credentials for htpasswd registries, a cached or new
 * Bearer token otherwise. Scopes accumulate per resource (token.md: a client MAY ask for several), so after a
 * push to `a/b` the same token serves pulls of `a/b`, and a mount asks once for `pull` on the source plus
 * `pull,push` on the destination.
 */
export class Authenticator {
  private challenge: Challenge | undefined;
  private readonly wanted = new ScopeSet();
  private credential: Promise<Credential | undefined> | undefined;
  private readonly inflight = new Map<string, Promise<CachedToken>>();

  constructor(
    private readonly registry: URL,
    private readonly transport: HttpTransport,
    private readonly credentials: CredentialLookup,
    private readonly tokens: TokenCache,
    private readonly realmHttpAllowed?: (host: string) => Promise<boolean>,
  ) {}

  /** Records the challenge of a 401 (ping or any request). Returns false when there is none to act on. */
  learn(headers: IncomingHttpHeaders): boolean {
    const challenge = preferredChallenge(parseChallenges(headers['www-authenticate']));
    if (!challenge) return false;
    this.challenge = challenge;
    return true;
  }

  get scheme(): string | undefined {
    return this.challenge?.scheme;
  }

  private lookup(): Promise<Credential | undefined> {
    // One lookup per client and host: a credential helper is a process spawn.
    this.credential ??= this.credentials(this.registry.host);
    return this.credential;
  }

  /** The Authorization value for a request to the registry needing `scopes`, or undefined (anonymous). */
  async authorization(scopes: readonly string[], signal?: AbortSignal): Promise<string | undefined> {
    const challenge = this.challenge;
    if (!challenge) return undefined;
    if (challenge.scheme === 'basic') {
      const credential = await this.lookup();
      return hasPassword(credential) ? basicAuthorization(credential) : undefined;
    }
    if (challenge.scheme !== 'bearer') return undefined;
    const realm = challenge.params.realm;
    if (!realm) {
      throw new KimgError(
        'UNAUTHORIZED',
        `${this.registry.host} asked for a Bearer token without naming a realm`,
      );
    }
    const service = challenge.params.service;
    const cached = this.tokens.get(realm, service, scopes);
    if (cached) return `Bearer ${cached.token}`;
    this.wanted.addAll(scopes);
    const request = new ScopeSet(scopes);
    for (const scope of scopes) {
      const resource = scope.slice(0, scope.lastIndexOf(':'));
      request.add(`${resource}:${this.wanted.actionsOf(resource).join(',')}`);
    }
    const scopeList = request.toArray();
    // Parallel requests needing the same token (4 layer HEADs at the start of a push) share one token request.
    const key = `${realm} ${service ?? ''} ${scopeList.join(' ')}`;
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.fetch(realm, service, scopeList, signal).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return `Bearer ${(await pending).token}`;
  }

  private async fetch(
    realm: string,
    service: string | undefined,
    scopes: string[],
    signal?: AbortSignal,
  ): Promise<CachedToken> {
    const token = await fetchToken(this.transport, {
      realm,
      service,
      scopes,
      credential: await this.lookup(),
      refreshToken: this.tokens.refreshToken(realm, service),
      registry: this.registry,
      realmHttpAllowed: this.realmHttpAllowed,
      signal,
    });
    this.tokens.put(realm, service, token);
    return token;
  }

  /**
   * After a 401 to `sent`: forget the refused token, take the new challenge (its `scope` names what the registry
   * wants, e.g. on `insufficient_scope`), and say whether one more try can succeed.
   */
  async retryAfterUnauthorized(
    headers: IncomingHttpHeaders,
    sent: string | undefined,
    scopes: string[],
  ): Promise<boolean> {
    const before = this.challenge;
    if (!this.learn(headers)) return false;
    const challenge = this.challenge as Challenge;
    if (challenge.scheme === 'basic') {
      // Credentials we already sent were refused; without credentials there is nothing to add.
      return sent === undefined && hasPassword(await this.lookup());
    }
    if (challenge.scheme !== 'bearer' || !challenge.params.realm) return false;
    if (sent?.startsWith('Bearer '))
      this.tokens.invalidate(challenge.params.realm, challenge.params.service, sent.slice(7));
    const asked = challenge.params.scope;
    if (asked) for (const scope of asked.split(' ')) if (!scopes.includes(scope)) scopes.push(scope);
    return sent === undefined || before?.scheme !== 'bearer' || sent.startsWith('Bearer ');
  }
}
