import type { HttpEvent, RegistryClient, RegistryClientOptions, RequestStats } from '../registry';
import { defaultStoreRoot, LayoutPaths } from '../store/paths';
import type { OpenContext } from '../transport/open';
import type { RegistryFlags } from '../transport/registry';
import { maxInflateRatio } from './inflate-ratio';
import { createOutput, type Output } from './output';
import { plainHttpHosts, registryListing, registryTimeouts, type GlobalOptions } from './global-options';
import { stderrLine } from './terminal-text';

/** What every command gets: where the store is and how to print. Built once from the global flags. */
export interface CommandContext {
  storeRoot: string | undefined;
  output: Output;
  debug: boolean;
  /** `--authfile`, `--cert-dir`, `--tls-verify`. */
  registryFlags: RegistryFlags;
  /** For openSource/openDestination: the store root and the run's one registry client, made on first use. */
  open: OpenContext;
  /** Requests and retries of the run's registry client; undefined when the run talked to no registry. */
  registryStats(): Promise<RequestStats | undefined>;
  /** Closes what the run opened (the registry client's keep-alive sockets would hold the process for 30 s). */
  close(): Promise<void>;
}

export function createContext(argv: GlobalOptions): CommandContext {
  const plainHttp = plainHttpHosts(argv);
  const registryFlags: RegistryFlags = {
    ...(argv.authfile !== undefined && { authfile: argv.authfile }),
    ...(plainHttp.length > 0 && { plainHttp }),
    ...(argv['cert-dir'] !== undefined && { certDir: argv['cert-dir'] }),
    ...(argv['tls-verify'] !== undefined && { tlsVerify: argv['tls-verify'] }),
    timeouts: registryTimeouts(argv),
    listing: registryListing(argv),
  };
  const debug = argv.debug === true;
  const inflateRatio = maxInflateRatio(argv['max-inflate-ratio']);
  let client: Promise<RegistryClient> | undefined;
  // Loaded on first use: undici is a large part of start-up, and most commands never talk to a registry.
  const registryClient = (): Promise<RegistryClient> =>
    (client ??= import('../transport/registry').then(({ createRegistryClient }) =>
      createRegistryClient(registryFlags, registryClientOptions(debug)),
    ));
  return {
    storeRoot: argv.root,
    output: createOutput(argv.format, argv.quiet),
    debug,
    registryFlags,
    open: {
      storeRoot: argv.root,
      registryClient,
      registryFlags,
      blobLocations: new LayoutPaths(argv.root ?? defaultStoreRoot()).blobLocationsFile,
      ...(inflateRatio !== undefined && { maxInflateRatio: inflateRatio }),
      // Inflated archives, temp archives, daemon exports: where SIGINT/SIGTERM and `kimg prune` find them.
      scratchInStore: true,
    },
    registryStats: async () => (await client)?.stats(),
    close: async () => {
      await (await client)?.close();
      client = undefined;
    },
  };
}

/** Options every registry client of a run gets: with --debug, the HTTP log. */
export function registryClientOptions(debug: boolean): Pick<RegistryClientOptions, 'onEvent'> {
  return debug ? { onEvent: logHttpEvent } : {};
}

/**
 * `--debug`: one stderr line per HTTP attempt; URLs arrive redacted (and pass the redactor again with the whole
 * line, stderrLine) and headers are never logged.
 */
function logHttpEvent(event: HttpEvent): void {
  logUndiciLoad();
  // OpenSSL errors span lines; the first one says what went wrong.
  const error = event.error?.split('\n')[0]?.trim();
  const outcome = event.status !== undefined ? String(event.status) : (error ?? '…');
  const retry = event.retryInMs !== undefined ? ` (retry in ${event.retryInMs} ms)` : '';
  process.stderr.write(`${stderrLine(`kimg: debug: ${event.method} ${event.url} → ${outcome}${retry}`)}\n`);
}

let undiciLogged = false;

/**
 * `--debug`: once, before the first HTTP line, how undici was loaded (registry/http/undici-lite.ts: the build's
 * bundle with its V8 code cache, or undici's files and why). The registry module is loaded by then.
 */
function logUndiciLoad(): void {
  if (undiciLogged) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded already (see above); never at start-up
  const load = (require('../registry') as typeof import('../registry')).undiciLoad();
  if (!load) return;
  undiciLogged = true;
  const how =
    load.from === 'bundle' ? 'from its bundle with the V8 code cache' : `from node_modules (${load.reason})`;
  process.stderr.write(
    `${stderrLine(`kimg: debug: undici loaded ${how} in ${load.ms.toFixed(1)} ms, ${load.doneAtMs.toFixed(0)} ms after start`)}\n`,
  );
}
