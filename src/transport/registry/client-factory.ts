import {
  RegistryClient,
  type ListingLimits,
  type RegistryClientOptions,
  type Timeouts,
} from '../../registry';
import { createCredentialStore } from '../../registry/credentials';
import { registryScheme, resolveTlsConfig } from '../../registry/tls';

/** The registry flags of the CLI contract (DESIGN.md "Global"), as skopeo and podman spell them. */
export interface RegistryFlags {
  /** `--authfile FILE`: the only auth file read (default: podman's then docker's search order). */
  authfile?: string;
  /** `--cert-dir DIR`: CA and client certificates for every registry (default: certs.d per host). */
  certDir?: string;
  /** `--tls-verify=false`: accept any certificate and allow plain http. Default true. */
  tlsVerify?: boolean;
  /** Hosts allowed plain http besides loopback (dockerd's `insecure-registries` syntax). */
  insecureRegistries?: readonly string[];
  /** `--plain-http HOST`: hosts reached over plain http only, with no https attempt first (same syntax). */
  plainHttp?: readonly string[];
  /** `--connect-timeout`, `--response-timeout`, `--idle-timeout`, `--request-timeout` (or their env). */
  timeouts?: Partial<Timeouts>;
  /** `--max-list-pages`, `--max-list-entries` (or their env). */
  listing?: Partial<ListingLimits>;
}

/**
 * The one RegistryClient of a process (or CLI run), wired to credentials, TLS and scheme policy. Sharing it
 * between the source and the destination of a copy shares tokens, connection pools and per-host limits: a
 * registry → same-registry copy authenticates once per scope, not once per side.
 */
export function createRegistryClient(
  flags: RegistryFlags = {},
  extra: Omit<RegistryClientOptions, 'tls' | 'scheme'> = {},
): RegistryClient {
  const store = createCredentialStore({ authfile: flags.authfile });
  return new RegistryClient({
    // `extra.credentials` replaces the credential files (kimg login checks only the credentials it was given).
    credentials: (place) => store.get(place), // `host` or `host/namespace/repo` (auth.json namespace keys)
    ...extra,
    ...(flags.timeouts && { timeouts: { ...flags.timeouts, ...extra.timeouts } }),
    ...(flags.listing && { listing: { ...flags.listing, ...extra.listing } }),
    // Asked once per origin: the client keeps one connection pool per origin.
    tls: (host) => resolveTlsConfig(host, { certDir: flags.certDir, tlsVerify: flags.tlsVerify }),
    scheme: (host) =>
      registryScheme(host, {
        tlsVerify: flags.tlsVerify,
        insecureRegistries: flags.insecureRegistries,
        plainHttp: flags.plainHttp,
      }),
  });
}
