import type { CredentialLookup } from '../auth/credential';
import type { TokenCache } from '../auth/token-cache';
import type { RetryPolicy } from '../http/backoff';
import type { TlsLookup } from '../http/dispatchers';
import type { Timeouts } from '../http/timeouts';
import type { HttpEvent } from '../http/transport';
import type { ListingLimits } from './pagination';
import type { SchemeLookup } from './session';

/** Per-registry settings that differ from the defaults (keyed by `host[:port]`). */
export interface RegistrySettings {
  /**
   * Upload blobs in PATCH chunks of this many bytes instead of one monolithic PUT (for registries or proxies
   * that cap request bodies). Raised to the registry's `OCI-Chunk-Min-Length` when that is larger.
   */
  chunkSize?: number;
}

export interface RegistryClientOptions {
  /** Credentials per host (src/registry/credentials). Default: anonymous everywhere. */
  credentials?: CredentialLookup;
  /** TLS trust per host (src/registry/tls). Default: system CAs, verification on. */
  tls?: TlsLookup;
  /** https only, or http allowed (src/registry/tls `registryScheme`). Default: http allowed for loopback only. */
  scheme?: SchemeLookup;
  /** Parallel requests per host and lane (small requests have their own lane). Default 4. */
  concurrency?: number;
  retry?: Partial<RetryPolicy>;
  /** Connect, response, idle and whole-request deadlines (http/timeouts.ts has the defaults and why). */
  timeouts?: Partial<Timeouts>;
  /** Pages and entries of tags, catalog and referrers listings (client/pagination.ts has the defaults). */
  listing?: Partial<ListingLimits>;
  registries?: Record<string, RegistrySettings>;
  /** Share one cache between clients (e.g. the workers of a sync) so tokens are reused. */
  tokenCache?: TokenCache;
  /** One event per HTTP attempt, URLs redacted (for --debug and request-count tests). */
  onEvent?: (event: HttpEvent) => void;
}

/** Chunk size when a registry refuses a monolithic PUT with 413 and names no minimum. */
export const DEFAULT_CHUNK_SIZE = 16 * 1024 * 1024;

/** Page size for tag and catalog listings; registries cap it themselves (ECR at 1000, distribution at 1000). */
export const DEFAULT_PAGE_SIZE = 1000;

/** Plain http only for loopback (issue 3 §4); src/registry/tls widens this with `insecureRegistries`. */
export const loopbackHttpAllowed: SchemeLookup = (host) => {
  const name = host.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  return name === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(name) || name === '::1'
    ? 'http-allowed'
    : 'https';
};
