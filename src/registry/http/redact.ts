/**
 * URLs as they may appear in errors and logs. Registries hand out URLs that carry secrets: distribution's upload
 * `Location` has a signed `_state`, S3/GCS/Azure blob redirects carry `X-Amz-Signature`, `sig`, `token`… and a
 * user may type `https://user:pass@host`. We keep only what helps a human find the request: origin, path and
 * the query parameters the distribution-spec defines (which never hold secrets); every other value is replaced.
 */
const SAFE_QUERY_PARAMETERS = new Set([
  'n',
  'last',
  'digest',
  'mount',
  'from',
  'artifactType',
  'service',
  'scope',
]);

export const REDACTED = 'REDACTED';

export function redactUrl(input: string | URL): string {
  let url: URL;
  try {
    url = new URL(input.toString());
  } catch {
    // Not a URL we can parse: say nothing of it rather than risk echoing a secret.
    return '<unparseable URL>';
  }
  url.username = '';
  url.password = '';
  url.hash = '';
  const kept = new URLSearchParams();
  for (const [name, value] of url.searchParams) {
    kept.append(name, SAFE_QUERY_PARAMETERS.has(name) ? value : REDACTED);
  }
  url.search = kept.toString();
  return url.toString();
}

/** Header names whose values are never logged. */
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

export function redactHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = SECRET_HEADERS.has(name.toLowerCase())
      ? REDACTED
      : Array.isArray(value)
        ? value.join(', ')
        : value;
  }
  return out;
}
