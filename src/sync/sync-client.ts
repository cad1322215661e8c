import { RegistryClient, type HttpEvent } from '../registry';
import { createCredentialStore } from '../registry/credentials/credential-store';
import { registryScheme, resolveTlsConfig } from '../registry/tls';
import type { RegistryFlags } from '../transport/registry/client-factory';
import type { SyncSource } from './sync-file';

/** Requests a run made, per registry host (every HTTP attempt, retries included): the report's `requests`. */
export class RequestCount {
  readonly byHost = new Map<string, number>();

  readonly onEvent = (event: HttpEvent): void => {
    // One event per attempt once it has an outcome (a status or an error).
    if (event.status === undefined && event.error === undefined) return;
    this.byHost.set(event.host, (this.byHost.get(event.host) ?? 0) + 1);
  };

  get total(): number {
    let sum = 0;
    for (const count of this.byHost.values()) sum += count;
    return sum;
  }
}

/**
 * The one RegistryClient of a sync run: the command's flags for every host, except where the sync file says
 * otherwise for its registry (`credentials`, `tls-verify`, `cert-dir`, as skopeo sync reads them).
 */
export function createSyncClient(
  flags: RegistryFlags,
  sources: readonly SyncSource[],
  onEvent?: (event: HttpEvent) => void,
): RegistryClient {
  const byHost = new Map(sources.map((source) => [source.registry, source]));
  const store = createCredentialStore({ authfile: flags.authfile });
  const settingsOf = (host: string) => {
    const source = byHost.get(host);
    return {
      certDir: source?.certDir ?? flags.certDir,
      tlsVerify: source?.tlsVerify ?? flags.tlsVerify,
    };
  };
  return new RegistryClient({
    credentials: async (place) => {
      // `place` is `host` or `host/namespace/repo`: the file's login is its registry's, for every repository.
      const host = place.split('/')[0] ?? place;
      return byHost.get(host)?.credentials ?? store.get(place);
    },
    ...(flags.timeouts && { timeouts: flags.timeouts }),
    ...(flags.listing && { listing: flags.listing }),
    tls: (host) => resolveTlsConfig(host, settingsOf(host)),
    scheme: (host) =>
      registryScheme(host, {
        tlsVerify: settingsOf(host).tlsVerify,
        insecureRegistries: flags.insecureRegistries,
      }),
    ...(onEvent && { onEvent }),
  });
}
