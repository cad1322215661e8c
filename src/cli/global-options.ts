import type { Argv } from 'yargs';
import { DEFAULT_MAX_INFLATE_RATIO } from '../layer/inflate-bound';
import { KimgError } from '../errors';
import { parseFlag } from './usage-error';
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
  'max-inflate-ratio'?: number;
  'connect-timeout'?: string;
  'response-timeout'?: string;
  'idle-timeout'?: string;
  'request-timeout'?: string;
  'max-list-pages'?: number;
  'max-list-entries'?: number;
  /** Repeated or comma-separated; yargs gives an array when repeated. */
  'plain-http'?: string | string[];
}

/** `--flag VALUE` or its environment variable (the flag wins), parsed; settings given neither are left out. */
function flagsOrEnv<K extends string>(
  argv: GlobalOptions,
  settings: Readonly<Record<K, { flag: string; env: string }>>,
  env: NodeJS.ProcessEnv,
  parse: (text: string, setting: string) => number,
): Partial<Record<K, number>> {
  const values: Partial<Record<K, number>> = {};
  for (const which of Object.keys(settings) as K[]) {
    const { flag, env: name } = settings[which];
    const given = (argv as Record<string, unknown>)[flag.slice('--'.length)];
    const text = given !== undefined ? String(given) : env[name];
    if (text !== undefined && text !== '') values[which] = parse(text, given !== undefined ? flag : name);
  }
  return values;
}

/**
 * Registry deadlines from `--connect-timeout` … or `KIMG_CONNECT_TIMEOUT` …; unset ones keep the defaults of
 * src/registry/http/timeouts.ts. A value that is not a duration is a usage error.
 */
export function registryTimeouts(argv: GlobalOptions, env = process.env): Partial<Timeouts> {
  return parseFlag(() => flagsOrEnv(argv, TIMEOUT_SETTINGS, env, parseDuration));
}

/** Bounds on tags, catalog and referrers listings from `--max-list-pages` … or `KIMG_MAX_LIST_PAGES` …. */
export function registryListing(argv: GlobalOptions, env = process.env): Partial<ListingLimits> {
  return flagsOrEnv(argv, LISTING_SETTINGS, env, (text, setting) => {
    const value = Number(text);
    if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < 1) {
      throw new KimgError('USAGE', `${setting}: "${text}" is not a positive whole number`);
    }
    return value;
  });
}

/** `--plain-http` (repeated or comma-separated), else `KIMG_PLAIN_HTTP`: hosts reached over plain http only. */
export function plainHttpHosts(argv: GlobalOptions, env = process.env): string[] {
  const given = argv['plain-http'] ?? env.KIMG_PLAIN_HTTP ?? [];
  return [given]
    .flat()
    .flatMap((value) => value.split(','))
    .map((host) => host.trim())
    .filter((host) => host !== '');
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
    .option('plain-http', {
      type: 'string',
      // not `array: true`: an array option would swallow the positionals after it.
      describe:
        'registries to reach over plain http, no https attempt first (HOST[:PORT], *.domain or CIDR; comma-separated or repeated; env KIMG_PLAIN_HTTP)',
      global: true,
    })
    .option('max-inflate-ratio', {
      type: 'number',
      describe: `a gzipped archive may inflate to N × its size (default $KIMG_MAX_INFLATE_RATIO, else ${DEFAULT_MAX_INFLATE_RATIO})`,
      global: true,
    })
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
      describe:
        'read at most this many pages of a tags/catalog/referrers listing (default 10000; env KIMG_MAX_LIST_PAGES)',
      global: true,
    })
    .option('max-list-entries', {
      type: 'number',
      describe:
        'accept at most this many names in a tags/catalog/referrers listing (default 500000; env KIMG_MAX_LIST_ENTRIES)',
      global: true,
    }) as Argv<T & GlobalOptions>;
}
