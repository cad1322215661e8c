import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';

/**
 * The CAs node trusts when no `ca` option is given. Passing `ca` *replaces* that set, so extra registry CAs
 * must be appended to it, the way containers/image appends certs.d `.crt` files to the system pool
 * (pkg/tlsclientconfig SetupCertificates). node ≥ 22.15 exposes the set (tls.getCACertificates('default'));
 * on node 20 it is the bundled roots plus NODE_EXTRA_CA_CERTS, read once.
 */
let defaults: readonly string[] | undefined;

export function defaultCaCertificates(): readonly string[] {
  if (defaults) return defaults;
  const getCACertificates = (tls as { getCACertificates?: (type: string) => string[] }).getCACertificates;
  if (typeof getCACertificates === 'function') {
    defaults = getCACertificates('default');
    return defaults;
  }
  const extra: string[] = [];
  const extraFile = process.env.NODE_EXTRA_CA_CERTS;
  if (extraFile) {
    try {
      extra.push(readFileSync(extraFile, 'utf8'));
    } catch {
      // node itself only warns when this file is unreadable; so do we, by ignoring it.
    }
  }
  defaults = [...tls.rootCertificates, ...extra];
  return defaults;
}
