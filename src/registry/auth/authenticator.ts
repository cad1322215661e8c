import type { IncomingHttpHeaders } from 'node:http';
import { KimgError } from '../../errors';
import type { HttpTransport } from '../http/transport';
import { parseChallenges, preferredChallenge, type Challenge } from './challenge';
import {
  basicAuthorization,
  credentialId,
  hasPassword,
  type Credential,
  type CredentialLookup,
} from './credential';
import { ScopeSet } from './scope';
import { fetchToken } from './token';
import type { CachedToken, TokenCache, TokenKey } from './token-cache';

/** The login of a place on the registry (`host/ns/repo`, or `host`): what the lookup answered, and its id. */
interface Account {
  credential: Credential | undefined;
  /** credentialId(credential): the token cache key part, shared by every place with the same login. */
  id: string;
}

/**
 * Authorization for one registry origin. Learns the challenge from the ping (or any 401), then answers
 * "which Authorization header for these scopes, for this place?" — Basic credentials for htpasswd registries,
 * a cached or new Bearer token otherwise. The place (`host/ns/repo`, or `host` for registry-wide requests)
 * picks the login, since auth.json namespace keys may give two repositories of one registry two logins;
 * tokens are cached per login. Scopes accumulate per login and resource (token.md: a client MAY ask for
 * several), so after a push to `a/b` the same token serves pulls of `a/b`, and a mount asks once for `pull` on
 * the source plus `pull,push` on the destination.
 */
export class Authenticator {
  private challenge: Challenge | undefined;
  /** One lookup per client and place, remembered: a credential helper is a process spawn. */
  private readonly accounts = new Map<string, Promise<Account>>();
  /** Scopes asked for so far, per login (credentialId). */
  private readonly wanted = new Map<string, ScopeSet>();
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

  private account(place: string): Promise<Account> {
    let account = this.accounts.get(place);
    if (!account) {
      account = this.credentials(place).then((credential) => ({ credential, id: credentialId(credential) }));
      this.accounts.set(place, account);
    }
    return account;
  }

  /**
   * The Authorization value for a request for `place` (`host/ns/repo` or `host`) needing `scopes`, or
   * undefined (anonymous).
   */
  async authorization(
    place: string,
    scopes: readonly string[],
    signal?: AbortSignal,
  ): Promise<string | undefined> {
    const challenge = this.challenge;
    if (!challenge) return undefined;
    if (challenge.scheme === 'basic') {
      // htpasswd registries get the credentials on every request: the place's own login, every time.
      const { credential } = await this.account(place);
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
    const account = await this.account(place);
    const key: TokenKey = { realm, service: challenge.params.service, account: account.id };
    const cached = this.tokens.get(key, scopes);
    if (cached) return `Bearer ${cached.token}`;
    let wanted = this.wanted.get(account.id);
    if (!wanted) this.wanted.set(account.id, (wanted = new ScopeSet()));
    wanted.addAll(scopes);
    const request = new ScopeSet(scopes);
    for (const scope of scopes) {
      const resource = scope.slice(0, scope.lastIndexOf(':'));
      request.add(`${resource}:${wanted.actionsOf(resource).join(',')}`);
    }
    const scopeList = request.toArray();
    // Parallel requests needing the same token (4 layer HEADs at the start of a push) share one token request.
    const id = `${realm} ${key.service ?? ''} ${account.id} ${scopeList.join(' ')}`;
    let pending = this.inflight.get(id);
    if (!pending) {
      pending = this.fetch(key, account.credential, scopeList, signal).finally(() =>
        this.inflight.delete(id),
      );
      this.inflight.set(id, pending);
    }
    return `Bearer ${(await pending).token}`;
  }

  private async fetch(
    key: TokenKey,
    credential: Credential | undefined,
    scopes: string[],
    signal?: AbortSignal,
  ): Promise<CachedToken> {
    const token = await fetchToken(this.transport, {
      realm: key.realm,
      service: key.service,
      scopes,
      credential,
      refreshToken: this.tokens.refreshToken(key),
      registry: this.registry,
      realmHttpAllowed: this.realmHttpAllowed,
      signal,
    });
    this.tokens.put(key, token);
    return token;
  }

  /**
   * After a 401 to `sent` (a request for `place`): forget the refused token, take the new challenge (its `scope`
   * names what the registry wants, e.g. on `insufficient_scope`), and say whether one more try can succeed.
   */
  async retryAfterUnauthorized(
    place: string,
    headers: IncomingHttpHeaders,
    sent: string | undefined,
    scopes: string[],
  ): Promise<boolean> {
    const before = this.challenge;
    if (!this.learn(headers)) return false;
    const challenge = this.challenge as Challenge;
    const { credential, id } = await this.account(place);
    if (challenge.scheme === 'basic') {
      // Credentials we already sent were refused; without credentials there is nothing to add.
      return sent === undefined && hasPassword(credential);
    }
    if (challenge.scheme !== 'bearer' || !challenge.params.realm) return false;
    if (sent?.startsWith('Bearer ')) {
      const key = { realm: challenge.params.realm, service: challenge.params.service, account: id };
      this.tokens.invalidate(key, sent.slice(7));
    }
    const asked = challenge.params.scope;
    if (asked) for (const scope of asked.split(' ')) if (!scopes.includes(scope)) scopes.push(scope);
    return sent === undefined || before?.scheme !== 'bearer' || sent.startsWith('Bearer ');
  }
}
