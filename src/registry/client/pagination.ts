import { KimgError } from '../../errors';
import { sameOrigin } from '../http/origin';
import { redactUrl } from '../http/redact';

/**
 * `Link` headers (RFC 8288) as the distribution-spec uses them for tags, catalog and referrers:
 *   Link: </v2/a/tags/list?n=100&last=b>; rel="next"
 * The target may be relative (resolved against the request URL); it must stay on the registry's origin, or a
 * hostile registry could walk us, with our token, to any other server.
 */
export function nextLink(header: string | string[] | undefined, requestUrl: URL): URL | undefined {
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  for (const value of values) {
    for (const match of value.matchAll(/<([^>]*)>\s*((?:;\s*[^;,]+)*)/g)) {
      const params = match[2] ?? '';
      if (!/;\s*rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?/i.test(params)) continue;
      let target: URL;
      try {
        target = new URL(match[1] ?? '', requestUrl);
      } catch {
        return undefined;
      }
      if (!sameOrigin(target, requestUrl)) {
        throw new KimgError(
          'REGISTRY_ERROR',
          `${redactUrl(requestUrl)}: the next page is on another origin (${redactUrl(target)})`,
          'refusing to follow it; report it to the registry operator',
        );
      }
      return target;
    }
  }
  return undefined;
}

/** A registry that links to a page it already served would loop forever; this many pages is plenty. */
export const MAX_PAGES = 100_000;
