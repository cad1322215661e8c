import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { isKimgError, KimgError } from '../../errors';
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  isRetryableStatus,
  retryDelay,
  type RetryPolicy,
} from './backoff';
import { discard, openBody, type RequestBody } from './body';
import type { Dispatchers } from './dispatchers';
import type { HostBackoff } from './host-backoff';
import type { HostLimiter, Lane } from './limiter';
import { requestOn } from './undici-lite';
import { isRetryableNetworkError, isTimeoutError, networkError } from './network-errors';
import { hostKey, sameOrigin } from './origin';
import { redactUrl } from './redact';
import { isRedirect, nextRedirect } from './redirect';
import { RequestDeadline } from './deadline';
import { parseRateLimit, rateLimitPause } from './rate-limit';
import { emptyRequestStats, type RequestStats } from './request-stats';
import { abortError } from './sleep';
import { DEFAULT_TIMEOUTS, UPLOAD_RESPONSE_FACTOR, type Timeouts } from './timeouts';

/** See TransportParts.rateLimitLowWater. */
const DEFAULT_RATE_LIMIT_LOW_WATER = 4;

export interface HttpRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  body?: RequestBody;
  lane: Lane;
  signal?: AbortSignal;
  /**
   * The Authorization value for one hop, asked anew for every hop and attempt. The registry layer returns
   * undefined for any origin that is not the registry's, which is how credentials never follow a redirect.
   */
  authorize?: (url: URL) => Promise<string | undefined>;
  /** Retry network errors and 408/429/5xx. Off for requests that are not safe to repeat as they are. */
  retry?: boolean;
  /**
   * The body is itself a secret (a refresh token form): a redirect to another origin is refused instead of
   * re-sending the body there.
   */
  secretBody?: boolean;
  /**
   * The PUT that completes a blob upload: the registry may move the blob within its storage before it answers
   * (timeouts.ts UPLOAD_RESPONSE_FACTOR), so its response and request deadlines are longer.
   */
  completesUpload?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Where the response came from, after redirects. */
  url: URL;
  method: string;
  /** Consume it or `discard` it: the host's lane slot is held until the body closes. */
  body: Readable;
  /** Turns an error of reading `body` into a one-line KimgError naming this request (and a timeout it hit). */
  describeError: (err: unknown) => Error;
}

/** One line per attempt for `--debug` logs and request-count tests. URLs are already redacted. */
export interface HttpEvent {
  method: string;
  /** Redacted (redact.ts); made when first read: a run that only counts requests never pays for it. */
  url: string;
  /** The host (and port) the request went to. */
  host: string;
  status?: number;
  attempt: number;
  error?: string;
  retryInMs?: number;
}

export interface TransportParts {
  dispatchers: Dispatchers;
  limiter: HostLimiter;
  backoff: HostBackoff;
  retry?: RetryPolicy;
  /** The same deadlines the dispatchers were made with; the transport adds the whole-request one. */
  timeouts?: Timeouts;
  onEvent?: (event: HttpEvent) => void;
  /**
   * `RateLimit-Remaining` at or below this holds the host off (rate-limit.ts); the host's parallel requests, so
   * the ones already under way still fit in what is left. Default 4.
   */
  rateLimitLowWater?: number;
}

/**
 * Sends one logical request: per-host limits, shared backoff, retries, and redirects followed here (never by
 * undici) so every hop gets the origin check. Returns any final status; turning statuses into errors is the
 * registry layer's job, because only it knows which statuses an endpoint expects.
 */
export class HttpTransport {
  private readonly policy: RetryPolicy;
  private readonly timeouts: Timeouts;
  /** Requests and retries so far, for the run's report. */
  readonly stats: RequestStats = emptyRequestStats();

  constructor(private readonly parts: TransportParts) {
    this.policy = parts.retry ?? DEFAULT_RETRY_POLICY;
    this.timeouts = parts.timeouts ?? DEFAULT_TIMEOUTS;
  }

  async send(req: HttpRequest): Promise<HttpResponse> {
    const { signal } = req;
    let url = req.url;
    let method = req.method;
    let withBody = req.body !== undefined;
    let hops = 0;
    for (let attempt = 0; ;) {
      const host = hostKey(url);
      await this.parts.backoff.wait(host, signal);
      const sent: Record<string, string> = { ...req.headers };
      if (!withBody) {
        delete sent['content-length'];
        delete sent['content-type'];
      }
      // Before taking a slot: getting a token is itself a request, possibly to this very host (Harbor's realm
      // is `/service/token` on the registry), and must not wait for a slot its own caller holds.
      const authorization = await req.authorize?.(url);
      if (authorization) sent.authorization = authorization;
      const release = await this.parts.limiter.acquire(host, req.lane, signal);
      // Small documents must arrive whole in time; blobs may take hours and resume after a stall instead.
      const timeouts = req.completesUpload ? uploadTimeouts(this.timeouts) : this.timeouts;
      let deadline =
        req.lane === 'small' ? new RequestDeadline(timeouts.requestMs, method, url, signal) : undefined;
      let response: Awaited<ReturnType<typeof requestOn>>;
      this.stats.requests++;
      try {
        response = await requestOn(await this.parts.dispatchers.for(url), url, {
          method: method as 'GET',
          headers: sent,
          body: withBody ? await openBody(req.body) : undefined,
          signal: deadline?.signal ?? signal,
          headersTimeout: timeouts.responseMs,
          // undici closes the connection after every HEAD (its issue 258: servers that send a body anyway)
          // unless told otherwise; registries answer HEAD as RFC 9110 §9.3.2 says, and a sync HEADs each
          // tag and blob: a new TCP (and TLS) connection per HEAD cost both registries CPU and, on a WAN,
          // round trips. Go's net/http (skopeo) keeps them too. A response that broke framing fails its
          // request; the retry opens a new connection.
          reset: false,
        });
      } catch (err) {
        release();
        deadline?.clear();
        if (signal?.aborted) throw abortError(signal);
        const expired = deadline?.expired;
        if (expired) {
          this.emit({ method, url, attempt, error: expired.message });
          throw expired;
        }
        // A peer silent for a whole timeout is not retried: each attempt would wait as long again.
        if (
          req.retry !== false &&
          !isKimgError(err) &&
          isRetryableNetworkError(err) &&
          !isTimeoutError(err) &&
          attempt + 1 < this.policy.maxAttempts
        ) {
          const delay = backoffDelay(this.policy, attempt);
          this.stats.retries++;
          this.emit({ method, url, attempt, error: String((err as Error).message), retryInMs: delay });
          this.parts.backoff.delay(host, delay);
          attempt++;
          continue;
        }
        this.emit({ method, url, attempt, error: String((err as Error).message) });
        throw networkError(err, method, url, timeouts);
      }
      const { statusCode: status, headers } = response;
      // Any body but a blob lane's 2xx is a small document (an error, a redirect): it gets the deadline too.
      if (status < 200 || status >= 300) {
        deadline ??= new RequestDeadline(timeouts.requestMs, method, url, undefined);
      }
      deadline?.until(response.body);
      if (isRedirect(status) && headers.location !== undefined) {
        this.emit({ method, url, attempt, status });
        await discard(response.body);
        release();
        const step = nextRedirect(url, method, status, header(headers, 'location'), hops++);
        if (req.secretBody && withBody && step.keepBody && !sameOrigin(url, step.url)) {
          throw new KimgError(
            'REDIRECT_REFUSED',
            `${method} ${redactUrl(url)}: refused to re-send credentials to ${redactUrl(step.url)} on a redirect`,
            'the token server redirects to another origin; report it to the registry operator',
          );
        }
        url = step.url;
        method = step.method;
        withBody &&= step.keepBody;
        continue;
      }
      if (req.retry !== false && isRetryableStatus(status) && attempt + 1 < this.policy.maxAttempts) {
        const delay = retryDelay(this.policy, attempt, header(headers, 'retry-after'));
        if (delay !== undefined) {
          this.stats.retries++;
          this.emit({ method, url, attempt, status, retryInMs: delay });
          await discard(response.body);
          release();
          this.parts.backoff.delay(host, delay);
          attempt++;
          continue;
        }
      }
      this.emit({ method, url, attempt, status });
      this.paceByRateLimit(host, headers);
      // No backoff.clear on success: another request to this host may just have been told to wait.
      response.body.once('close', release);
      if (response.body.destroyed) release();
      const where = { method, url };
      return {
        status,
        headers,
        ...where,
        body: response.body,
        describeError: (err) => networkError(err, where.method, where.url, timeouts),
      };
    }
  }

  /** A registry running out of quota slows the run down now, rather than failing it with 429s later. */
  private paceByRateLimit(host: string, headers: IncomingHttpHeaders): void {
    const lowWater = this.parts.rateLimitLowWater ?? DEFAULT_RATE_LIMIT_LOW_WATER;
    const pause = rateLimitPause(parseRateLimit(headers), lowWater, this.policy.maxRetryAfterMs);
    if (pause <= 0) return;
    this.stats.rateLimitPauses++;
    this.parts.backoff.delay(host, pause);
  }

  /** Counts a retry made above this layer (a new upload session, a resumed download) in `stats`. */
  noteRetry(): void {
    this.stats.retries++;
  }

  private emit(event: Omit<HttpEvent, 'url' | 'host'> & { url: URL }): void {
    const onEvent = this.parts.onEvent;
    if (!onEvent) return;
    const { url, ...rest } = event;
    let redacted: string | undefined;
    onEvent({
      ...rest,
      host: url.host,
      get url() {
        return (redacted ??= redactUrl(url));
      },
    });
  }
}

function uploadTimeouts(timeouts: Timeouts): Timeouts {
  return {
    ...timeouts,
    responseMs: timeouts.responseMs * UPLOAD_RESPONSE_FACTOR,
    requestMs: timeouts.requestMs * UPLOAD_RESPONSE_FACTOR,
  };
}

/** A single header value (the first when repeated). */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
