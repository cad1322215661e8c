import type { Argv } from 'yargs';
import { KimgError } from '../errors';
import { LISTING_SETTINGS, type ListingLimits } from '../registry/client/pagination';
import { parseDuration, TIMEOUT_SETTINGS, type Timeouts } from '../registry/http/timeouts';

/** DESIGN.md "CLI contract", global flags. Registry flags (--tls-verify, --cert-dir, --authfile) are parsed
 * here already so scripts can pass them; the registry client consumes them. */
export interface GlobalOptions {
  root?: string;
  format?: string;
  quiet?: boolean;
  debug?: boolean;
  'tls-verify'?: boolean;
  'cert-dir'?: string;
  authfile?: string;
  'connect-timeout'?: string;
  'response-timeout'?: string;
  'idle-timeout'?: string;
  'request-timeout'?: string;
  'max-list-pages'?: number;
  'max-list-entries'?: number;
}

const TIMEOUT_FLAGS = {
  connectMs: 'connect-timeout',
  responseMs: 'response-timeout',
  idleMs: 'idle-timeout',
  requestMs: 'request-timeout',
} as const satisfies Record<keyof Timeouts, keyof GlobalOptions>;

/**
 * Registry deadlines from `--connect-timeout` … or `KIMG_CONNECT_TIMEOUT` … (the flag wins); unset ones keep
 * the defaults of src/registry/http/timeouts.ts. A value that is not a duration is a usage error.
 */
export function registryTimeouts(
  argv: GlobalOptions,
  env: NodeJS.ProcessEnv = process.env,
): Partial<Timeouts> {
  const timeouts: Partial<Timeouts> = {};
  for (const which of Object.keys(TIMEOUT_FLAGS) as (keyof Timeouts)[]) {
    const flag = argv[TIMEOUT_FLAGS[which]];
    const { env: name } = TIMEOUT_SETTINGS[which];
    const text = flag ?? env[name];
    if (text !== undefined && text !== '') {
      timeouts[which] = parseDuration(text, flag !== undefined ? `--${TIMEOUT_FLAGS[which]}` : name);
    }
  }
  return timeouts;
}

const LISTING_FLAGS = {
  maxPages: 'max-list-pages',
  maxEntries: 'max-list-entries',
} as const satisfies Record<keyof ListingLimits, keyof GlobalOptions>;

/** Bounds on tags, catalog and referrers listings from `--max-list-pages` … or `KIMG_MAX_LIST_PAGES` …. */
export function registryListing(
  argv: GlobalOptions,
  env: NodeJS.ProcessEnv = process.env,
): Partial<ListingLimits> {
  const limits: Partial<ListingLimits> = {};
  for (const which of Object.keys(LISTING_FLAGS) as (keyof ListingLimits)[]) {
    const flag = argv[LISTING_FLAGS[which]];
    const { env: name } = LISTING_SETTINGS[which];
    const value = flag ?? (env[name] ? Number(env[name]) : undefined);
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new KimgError(
        'INVALID_ARGUMENT',
        `${flag !== undefined ? `--${LISTING_FLAGS[which]}` : name}: "${flag ?? env[name]}" is not a positive whole number`,
      );
    }
    limits[which] = value;
  }
  return limits;
}

export function addGlobalOptions<T>(argv: Argv<T>): Argv<T & GlobalOptions> {
  return argv
    .option('root', {
      type: 'string',
      describe: 'local store directory (default $KIMG_ROOT, else $XDG_DATA_HOME/kimg)',
      global: true,
    })
    .option('format', {
      type: 'string',
      describe: 'output format: json for machine-readable output',
      global: true,
    })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'print only what scripts need', global: true })
    .option('debug', { type: 'boolean', describe: 'print stack traces and debug detail', global: true })
    .option('tls-verify', {
      type: 'boolean',
      describe: 'verify registry TLS certificates (default true)',
      global: true,
    })
    .option('cert-dir', {
      type: 'string',
      describe: 'directory of per-registry CA and client certificates',
      global: true,
    })
    .option('authfile', { type: 'string', describe: 'registry credentials file', global: true })
    .option('connect-timeout', {
      type: 'string',
      describe: 'registry connection deadline, e.g. 30s (default 30s; env KIMG_CONNECT_TIMEOUT)',
      global: true,
    })
    .option('response-timeout', {
      type: 'string',
      describe: 'wait for response headers at most this long (default 60s; env KIMG_RESPONSE_TIMEOUT)',
      global: true,
    })
    .option('idle-timeout', {
      type: 'string',
      describe: 'a response body silent this long has stalled (default 60s; env KIMG_IDLE_TIMEOUT)',
      global: true,
    })
    .option('request-timeout', {
      type: 'string',
      describe:
        'a manifest, tags page or token must arrive whole within this (default 2m; env KIMG_REQUEST_TIMEOUT)',
      global: true,
    })
    .option('max-list-pages', {
      type: 'number',
      describe: 'read at most this many pages of a tags/catalog/referrers listing (default 10000)',
      global: true,
    })
    .option('max-list-entries', {
      type: 'number',
      describe: 'accept at most this many names in a tags/catalog/referrers listing (default 500000)',
      global: true,
    }) as Argv<T & GlobalOptions>;
}
