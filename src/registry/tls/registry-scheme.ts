import { BlockList, isIP } from 'node:net';
import { memo } from '../../lazy/lazy';

/**
 * 'https': TLS only. 'http-allowed': https preferred, plain http if the registry does not speak TLS (docker's
 * and containers/image's "insecure registry" ping fallback). 'http': plain http only, no https attempt (oras'
 * and Zarf's `--plain-http`, regclient's `tls: disabled`): the registry is known to be plain, so the TLS probe
 * would only cost a round trip. Once a registry answered over https, nothing may downgrade it (DESIGN.md
 * security rules); that is the client's job.
 */
export type RegistryScheme = 'https' | 'http-allowed' | 'http';

export interface SchemeOptions {
  /**
   * Hosts allowed plain HTTP, as dockerd's `insecure-registries` and registries.conf `insecure = true` list them:
   * `host`, `host:port` (that port only), `*.example.com`, or an IP range in CIDR form (`10.0.0.0/8`).
   */
  insecureRegistries?: readonly string[];
  /** skopeo/podman `--tls-verify=false` also allows http ("Require HTTPS and verify certificates"). */
  tlsVerify?: boolean;
  /** Hosts reached over plain http only (kimg `--plain-http`), in the `insecureRegistries` syntax. */
  plainHttp?: readonly string[];
}

// dockerd treats 127.0.0.0/8 (and ::1) as insecure by default (registry/config.go); "localhost" is the name
// every tutorial uses for a local registry. Names are never resolved: DNS must not decide who gets plain HTTP.
// Built on first use, not at load: a BlockList is a native handle, which a V8 start-up snapshot cannot hold.
const loopback = memo(() => {
  const list = new BlockList();
  list.addSubnet('127.0.0.0', 8, 'ipv4');
  list.addAddress('::1', 'ipv6');
  return list;
});

export function registryScheme(host: string, options: SchemeOptions = {}): RegistryScheme {
  const { hostname, port } = splitHostPort(host);
  if (options.plainHttp?.some((entry) => matchesInsecureEntry(entry, hostname, port))) return 'http';
  if (options.tlsVerify === false) return 'http-allowed';
  if (hostname === 'localhost' || isInRange(loopback(), hostname)) return 'http-allowed';
  for (const entry of options.insecureRegistries ?? []) {
    if (matchesInsecureEntry(entry, hostname, port)) return 'http-allowed';
  }
  return 'https';
}

/** `h`, `h:port`, `[v6]`, `[v6]:port` or a bare IPv6 literal; hostname lowercased, brackets dropped. */
export function splitHostPort(host: string): { hostname: string; port?: string } {
  const value = host.trim().toLowerCase();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  if (bracketed) return { hostname: bracketed[1] as string, port: bracketed[2] };
  const colons = value.split(':').length - 1;
  if (colons === 1) {
    const [hostname, port] = value.split(':') as [string, string];
    return { hostname, port };
  }
  return { hostname: value };
}

function matchesInsecureEntry(entry: string, hostname: string, port: string | undefined): boolean {
  const value = entry
    .trim()
    .toLowerCase()
    .replace(/^https?:\/\//, '');
  const cidr = /^([^/]+)\/(\d{1,3})$/.exec(value);
  if (cidr && isIP(cidr[1] as string)) {
    const range = new BlockList();
    const family = isIP(cidr[1] as string) === 4 ? 'ipv4' : 'ipv6';
    range.addSubnet(cidr[1] as string, Number(cidr[2]), family);
    return isInRange(range, hostname);
  }
  // registries.conf locations may carry a namespace; the scheme is per host, so only the host part counts.
  const wanted = splitHostPort(value.split('/')[0] ?? value);
  if (wanted.port !== undefined && wanted.port !== port) return false;
  if (wanted.hostname.startsWith('*.')) return hostname.endsWith(wanted.hostname.slice(1));
  return wanted.hostname === hostname;
}

function isInRange(list: BlockList, hostname: string): boolean {
  const family = isIP(hostname);
  return family !== 0 && list.check(hostname, family === 4 ? 'ipv4' : 'ipv6');
}
