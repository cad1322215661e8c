import { discard } from './body';
import { Dispatchers, systemTls, type TlsLookup } from './dispatchers';
import { HostBackoff } from './host-backoff';
import { DEFAULT_CONCURRENCY_PER_HOST, HostLimiter } from './limiter';
import { DEFAULT_TIMEOUTS, type Timeouts } from './timeouts';
import { HttpTransport, type HttpEvent, type HttpResponse } from './transport';

export interface UrlClientOptions {
  /** TLS trust per host (src/registry/tls); default: system CAs, verification on. */
  tls?: TlsLookup;
  /** Connect, response and idle deadlines (timeouts.ts); default DEFAULT_TIMEOUTS. Downloads are `blob` lane:
   * no whole-request deadline, a size cap is the caller's. */
  timeouts?: Partial<Timeouts>;
  onEvent?: (event: HttpEvent) => void;
}

export interface UrlGetOptions {
  /** Extra request headers (e.g. `If-None-Match`); never credentials: the URL's own origin is untrusted. */
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/**
 * GETs of arbitrary http(s) URLs — a Kubefile's `ADD https://…` — through the registry client's HTTP layer, so
 * the same rules hold: undici pools per origin with per-host TLS, redirects followed by hand (≤ 10 hops, never
 * https → http), retries with shared backoff, URLs redacted in every error and event. No credentials are ever
 * sent. Statuses are the caller's business, as with HttpTransport; size limits too (the caller streams).
 */
export class UrlClient {
  private readonly dispatchers: Dispatchers;
  private readonly transport: HttpTransport;

  constructor(options: UrlClientOptions = {}) {
    const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.dispatchers = new Dispatchers(
      options.tls ?? systemTls,
      HostLimiter.connectionsFor(DEFAULT_CONCURRENCY_PER_HOST),
      timeouts,
    );
    this.transport = new HttpTransport({
      timeouts,
      dispatchers: this.dispatchers,
      limiter: new HostLimiter(DEFAULT_CONCURRENCY_PER_HOST),
      backoff: new HostBackoff(),
      ...(options.onEvent && { onEvent: options.onEvent }),
    });
  }

  get(url: URL, options: UrlGetOptions = {}): Promise<HttpResponse> {
    return this.transport.send({
      method: 'GET',
      url,
      lane: 'blob',
      ...(options.headers && { headers: options.headers }),
      ...(options.signal && { signal: options.signal }),
    });
  }

  /** Throws a body away without holding the connection (error responses, 304s). */
  discard(response: HttpResponse): Promise<void> {
    return discard(response.body);
  }

  async close(): Promise<void> {
    await this.dispatchers.close();
  }
}

export type { HttpResponse } from './transport';
export { header } from './transport';
