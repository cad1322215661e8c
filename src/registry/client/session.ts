import { KimgError } from '../../errors';
import { Authenticator } from '../auth/authenticator';
import type { CredentialLookup } from '../auth/credential';
import type { TokenCache } from '../auth/token-cache';
import { errorFromResponse, type ErrorContext } from '../errors';
import { discard, type RequestBody } from '../http/body';
import type { Lane } from '../http/limiter';
import { speaksPlainHttp } from '../http/network-errors';
import { sameOrigin } from '../http/origin';
import type { HttpResponse, HttpTransport } from '../http/transport';

/**
 * Whether a host may be reached over plain http (src/registry/tls decides: localhost, 127.0.0.0/8, ::1, or
 * registries marked insecure). `http-allowed` tries https first and falls back to http only when the server
 * does not speak TLS at all, as podman does; `http` skips the https attempt.
 */
export type SchemePolicy = 'https' | 'http-allowed' | 'http';
export type SchemeLookup = (host: string) => SchemePolicy | Promise<SchemePolicy>;

export interface RegistryRequest {
  method: string;
  /** Path under the registry origin (`/v2/...`, query included), or an absolute URL (upload Location, Link). */
  path: string | URL;
  headers?: Record<string, string>;
  body?: RequestBody;
  lane: Lane;
  scopes: string[];
  /** Statuses returned to the caller; any other becomes a RegistryError. */
  expect: readonly number[];
  context: Omit<ErrorContext, 'host'>;
  signal?: AbortSignal;
  retry?: boolean;
  /** See HttpRequest.completesUpload. */
  completesUpload?: boolean;
}

export interface SessionParts {
  transport: HttpTransport;
  credentials: CredentialLookup;
  tokens: TokenCache;
  scheme: SchemeLookup;
}

/** Docker Hub's API lives on another host than its name (the rule every docker client hard-codes). */
export function apiHost(domain: string): string {
  return domain === 'docker.io' || domain === 'index.docker.io' ? 'registry-1.docker.io' : domain;
}

/** A ping's answer: the origin that answered and the authenticator made from its challenge. */
interface Pinged {
  origin: URL;
  auth: Authenticator;
}

/** What every view of one host shares: the scheme and origin found by the ping, and the authenticator. */
interface HostState {
  origin?: Promise<URL>;
  auth?: Authenticator;
  /** What this run learnt of the host's cross-repository mounts (`noteMount`). */
  mounts?: 'work' | 'not-into-own';
}

/**
 * One registry host: its resolved scheme, its authenticator, and requests with auth and error mapping. A
 * session speaks for one place on the host, `place` (the host itself, or `host/ns/repo` from forPlace()),
 * whose login its requests carry; all places of a host share the ping, the challenge and the token cache.
 */
export class RegistrySession {
  constructor(
    readonly host: string,
    private readonly parts: SessionParts,
    /** Whose login the requests use, as auth.json keys spell it: `docker.io`, `quay.io/org/app`. */
    readonly place: string = host,
    private readonly state: HostState = {},
  ) {}

  /**
   * The same host, speaking for `place` (`domain/name` for a repository): auth.json namespace keys make the
   * login a per-repository choice (containers-auth.json(5); skopeo and podman look it up per image).
   */
  forPlace(place: string): RegistrySession {
    return new RegistrySession(this.host, this.parts, place, this.state);
  }

  /** `GET /v2/` (distribution-spec "end-1"): finds the scheme and the auth challenge. Done once per host. */
  ping(signal?: AbortSignal): Promise<URL> {
    const state = this.state;
    if (!state.origin) {
      const origin = this.resolve(signal);
      state.origin = origin;
      origin.catch(() => {
        if (state.origin === origin) state.origin = undefined;
      });
    }
    return state.origin;
  }

  private async resolve(signal?: AbortSignal): Promise<URL> {
    const scheme = await this.parts.scheme(this.host);
    const pinged = await this.resolveScheme(scheme, signal);
    this.state.auth = pinged.auth;
    return pinged.origin;
  }

  /**
   * 'http': plain http only, no https probe (the registry is configured so). 'http-allowed': https and http
   * are asked at once, so a plain registry costs no extra round trip for the TLS attempt; the http answer is used
   * only when the https attempt failed because the server does not speak TLS (the rule is the same as asking
   * one after the other: https never loses to http otherwise). The plain `GET /v2/` carries no credentials.
   */
  private async resolveScheme(scheme: SchemePolicy, signal?: AbortSignal): Promise<Pinged> {
    const http = (on = signal, retry = true) => this.probe(new URL(`http://${this.host}`), on, retry);
    if (scheme === 'http') return http();
    const https = this.probe(new URL(`https://${this.host}`), signal, scheme === 'https');
    if (scheme !== 'http-allowed') return https;
    // Not retried while it races (a TLS port may reset it); asked again, with retries, if it is the one needed.
    const lost = new AbortController();
    const plain = http(signal ? AbortSignal.any([signal, lost.signal]) : lost.signal, false);
    plain.catch(() => undefined);
    try {
      const pinged = await https;
      lost.abort();
      return pinged;
    } catch (err) {
      if (!speaksPlainHttp(err)) {
        lost.abort();
        throw err;
      }
      return plain.catch(() => http());
    }
  }

  private async probe(origin: URL, signal: AbortSignal | undefined, retry: boolean): Promise<Pinged> {
    const response = await this.parts.transport.send({
      method: 'GET',
      url: new URL('/v2/', origin),
      lane: 'small',
      signal,
      retry,
    });
    const auth = new Authenticator(
      origin,
      this.parts.transport,
      this.parts.credentials,
      this.parts.tokens,
      async (host) => (await this.parts.scheme(host)) !== 'https',
    );
    if (response.status === 401) auth.learn(response.headers);
    if (response.status === 200 || response.status === 401) {
      await discard(response.body);
      return { origin, auth };
    }
    throw await errorFromResponse(response, {
      what: `${this.host} is not an OCI distribution (v2) registry`,
      host: this.host,
    });
  }

  /** Sends a request to this registry with auth; retries once after a 401 with a new challenge or scope. */
  async request(req: RegistryRequest): Promise<HttpResponse> {
    const origin = await this.ping(req.signal);
    const auth = this.state.auth as Authenticator;
    const url = typeof req.path === 'string' ? new URL(req.path, origin) : req.path;
    const scopes = [...req.scopes];
    for (let attempt = 0; ; attempt++) {
      let sent: string | undefined;
      const response = await this.parts.transport.send({
        method: req.method,
        url,
        headers: req.headers,
        body: req.body,
        lane: req.lane,
        signal: req.signal,
        retry: req.retry,
        completesUpload: req.completesUpload,
        // Credentials only ever go to the registry's own origin: not to a redirect target, not to an upload
        // Location on another host (blob storage, CDN).
        authorize: async (hop) => {
          sent = sameOrigin(hop, origin)
            ? await auth.authorization(this.place, scopes, req.signal)
            : undefined;
          return sent;
        },
      });
      if (response.status === 401 && attempt === 0 && sameOrigin(response.url, origin)) {
        if (await auth.retryAfterUnauthorized(this.place, response.headers, sent, scopes)) {
          await discard(response.body);
          continue;
        }
      }
      if (req.expect.includes(response.status)) return response;
      throw await errorFromResponse(response, { ...req.context, host: this.host });
    }
  }

  /**
   * The registry linked a blob on a mount POST this run (`into` the repository it was mounted from: a check
   * of that repository, see upload.ts), or refused to mount a blob from the repository it was asked into.
   */
  noteMount(answer: 'linked' | 'refused-into-own'): void {
    if (answer === 'refused-into-own') this.state.mounts = 'not-into-own';
    else this.state.mounts ??= 'work';
  }

  /**
   * A mount POST of a blob into the repository named as its source answers whether the repository holds it: the
   * host answered a mount with 201 this run (so it mounts; distribution then links what the repository has, and
   * opens an upload for what it lacks) and has not refused one into its own repository.
   */
  get mountChecksBlobs(): boolean {
    return this.state.mounts === 'work';
  }

  /** Counts a retry made by an endpoint (a new upload session, a resumed download) in the client's stats. */
  noteRetry(): void {
    this.parts.transport.noteRetry();
  }

  /** The registry's origin once pinged (for building absolute URLs). */
  async originUrl(signal?: AbortSignal): Promise<URL> {
    return this.ping(signal);
  }
}

export function unexpected(what: string, detail: string): KimgError {
  return new KimgError(
    'REGISTRY_ERROR',
    `${what}: ${detail}`,
    'the registry does not follow the distribution-spec here; report it to its operator',
  );
}
