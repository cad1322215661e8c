import { anonymous } from '../auth/credential';
import { TokenCache } from '../auth/token-cache';
import { repositoryScope } from '../auth/scope';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../http/backoff';
import { Dispatchers, systemTls } from '../http/dispatchers';
import { HostBackoff } from '../http/host-backoff';
import { DEFAULT_CONCURRENCY_PER_HOST, HostLimiter } from '../http/limiter';
import { DEFAULT_TIMEOUTS, type Timeouts } from '../http/timeouts';
import type { RequestStats } from '../http/request-stats';
import { HttpTransport } from '../http/transport';
import { discard } from '../http/body';
import { loopbackHttpAllowed, type RegistryClientOptions } from './options';
import { Repository } from './repository';
import { apiHost, RegistrySession } from './session';
import { DEFAULT_LISTING_LIMITS, type ListingLimits } from './pagination';
import { listRepositories, type ListOptions } from './tags';

/**
 * The distribution-spec client: one per process (or per sync worker), shared by every registry and repository
 * it talks to, so connection pools, per-host limits, shared backoff and tokens are shared too. `close()` when
 * done, or keep-alive sockets hold the process open for up to 30 s.
 */
export class RegistryClient {
  private readonly sessions = new Map<string, RegistrySession>();
  private readonly dispatchers: Dispatchers;
  private readonly transport: HttpTransport;
  private readonly tokens: TokenCache;
  private readonly retry: RetryPolicy;
  private readonly listing: ListingLimits;
  private readonly timeouts: Timeouts;

  constructor(private readonly options: RegistryClientOptions = {}) {
    const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY_PER_HOST;
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.listing = { ...DEFAULT_LISTING_LIMITS, ...options.listing };
    // Both lanes of the limiter must fit in the pool, or small requests would queue behind blobs in undici.
    const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.timeouts = timeouts;
    this.dispatchers = new Dispatchers(
      options.tls ?? systemTls,
      HostLimiter.connectionsFor(concurrency),
      timeouts,
    );
    this.transport = new HttpTransport({
      dispatchers: this.dispatchers,
      limiter: new HostLimiter(concurrency),
      rateLimitLowWater: concurrency,
      backoff: new HostBackoff(),
      retry: this.retry,
      timeouts,
      onEvent: options.onEvent,
    });
    this.tokens = options.tokenCache ?? new TokenCache();
  }

  /**
   * The session of `domain`'s host, speaking for `place` (default: the registry itself). Logins are looked up
   * under the name users log in with (`docker.io`, `quay.io/org/app`), not the API host.
   */
  private session(domain: string, place: string = domain): RegistrySession {
    const host = apiHost(domain);
    let session = this.sessions.get(host);
    if (!session) {
      session = new RegistrySession(host, {
        transport: this.transport,
        credentials: this.options.credentials ?? anonymous,
        tokens: this.tokens,
        scheme: this.options.scheme ?? loopbackHttpAllowed,
      });
      this.sessions.set(host, session);
    }
    return session.forPlace(place);
  }

  /** `GET /v2/`: checks the registry is reachable and speaks the distribution API; learns its auth scheme. */
  async ping(domain: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.session(domain).ping(options.signal);
  }

  /**
   * `GET /v2/` with the client's credentials: how `docker login` and `podman login` (containers/image CheckAuth)
   * check a login before saving it. A Basic registry sees the password; a token registry's token server is asked
   * for a token with no scope (token.md allows it), which the registry must then accept on `/v2/`. A refused
   * password is a RegistryError with code UNAUTHORIZED, from the registry or from its token server.
   */
  async checkLogin(domain: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const response = await this.session(domain).request({
      method: 'GET',
      path: '/v2/',
      lane: 'small',
      scopes: [],
      expect: [200],
      context: { what: `logging in to ${domain}` },
      signal: options.signal,
    });
    await discard(response.body);
  }

  /**
   * A repository handle; `push: true` asks for push rights up front (one token for HEAD, POST and PUT). Its
   * requests carry the login of `domain/name`, so a namespace key (`quay.io/org`) in auth.json applies to the
   * repositories under it, and a host key (docker's config.json has only those) to all of them.
   */
  repository(domain: string, name: string, options: { push?: boolean } = {}): Repository {
    return new Repository({
      session: this.session(domain, `${domain}/${name}`),
      domain,
      name,
      scopes: [repositoryScope(name, options.push ? ['pull', 'push'] : ['pull'])],
      settings: this.options.registries?.[domain] ?? this.options.registries?.[apiHost(domain)] ?? {},
      retry: this.retry,
      listing: this.listing,
      timeouts: this.timeouts,
    });
  }

  /** `GET /v2/_catalog` with `n` + `Link` pagination (a distribution extension; many registries refuse it). */
  catalog(domain: string, options: ListOptions = {}): Promise<string[]> {
    return listRepositories(this.session(domain), { ...options, limits: this.listing });
  }

  /** Requests sent and retried so far by every session of this client (a copy reports them). */
  stats(): RequestStats {
    return { ...this.transport.stats };
  }

  async close(): Promise<void> {
    await this.dispatchers.close();
  }
}
