import type { RetryPolicy } from '../http/backoff';
import type { Timeouts } from '../http/timeouts';
import type { RegistrySettings } from './options';
import type { ListingLimits } from './pagination';
import type { RegistrySession } from './session';

/** What every repository operation needs: the host session, the repository name and the scopes to ask for. */
export interface RepositoryContext {
  session: RegistrySession;
  /** Registry host as written in references (`docker.io`, `localhost:5000`). */
  domain: string;
  /** Repository path (`library/nginx`). */
  name: string;
  /** `repository:<name>:pull` for readers, `…:pull,push` for writers (one token serves both). */
  scopes: string[];
  settings: RegistrySettings;
  retry: RetryPolicy;
  /** Pages and entries of tags and referrers listings (pagination.ts); default DEFAULT_LISTING_LIMITS. */
  listing?: ListingLimits;
  /** The client's deadlines: a blob download uses `idleMs` for its low-speed check. Default DEFAULT_TIMEOUTS. */
  timeouts?: Timeouts;
}

/** `domain/name` for messages. */
export function label(ctx: RepositoryContext, suffix = ''): string {
  return `${ctx.domain}/${ctx.name}${suffix}`;
}

/** distribution-spec endpoint paths; `name` is already validated by src/reference's grammar. */
export const paths = {
  blob: (name: string, digest: string) => `/v2/${name}/blobs/${digest}`,
  uploads: (name: string) => `/v2/${name}/blobs/uploads/`,
  manifest: (name: string, reference: string) => `/v2/${name}/manifests/${reference}`,
  tags: (name: string) => `/v2/${name}/tags/list`,
  referrers: (name: string, digest: string) => `/v2/${name}/referrers/${digest}`,
  catalog: () => '/v2/_catalog',
};

/** The context's scopes plus `action` on its repository (distribution checks `delete` for DELETE requests). */
export function scopesWith(ctx: RepositoryContext, action: string): string[] {
  return [...ctx.scopes, `repository:${ctx.name}:${action}`];
}
