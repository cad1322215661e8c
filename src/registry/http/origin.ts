/**
 * Origins (RFC 6454: scheme, host, port). Credentials belong to exactly one origin: the registry's. A redirect,
 * a token realm or an upload `Location` on any other origin gets no `Authorization` from us — the rule behind
 * the go-containerregistry and oras-go fixes for credentials leaking on redirects to blob storage.
 */
export function sameOrigin(a: URL, b: URL): boolean {
  // URL normalises default ports to '' and lower-cases the host, so `https://R:443` equals `https://r`.
  return a.protocol === b.protocol && a.host === b.host;
}

export function isDowngrade(from: URL, to: URL): boolean {
  return from.protocol === 'https:' && to.protocol !== 'https:';
}

/** `host[:port]` of a URL, the key for per-host limits, backoff and TLS settings. */
export function hostKey(url: URL): string {
  return url.host;
}
