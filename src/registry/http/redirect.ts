import { KimgError } from '../../errors';
import { isDowngrade } from './origin';
import { redactUrl } from './redact';

/**
 * We follow redirects ourselves (undici's are off) so that every hop goes through the same checks:
 * - at most MAX_REDIRECTS hops (the limit Go's net/http and curl use);
 * - https never continues on http (a downgrade would expose a signed URL and the content on the wire);
 * - only http(s) targets;
 * and so that the request builder can drop credentials when the next hop is another origin.
 */
export const MAX_REDIRECTS = 10;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export function isRedirect(status: number): boolean {
  return REDIRECT_STATUSES.has(status);
}

export interface RedirectStep {
  url: URL;
  /** The method of the next hop (RFC 9110 §15.4: 303 becomes GET; 301/302 keep the method for registries). */
  method: string;
  /** False when the next hop must be sent without a body (303 → GET). */
  keepBody: boolean;
}

export function nextRedirect(
  from: URL,
  method: string,
  status: number,
  location: string | undefined,
  hops: number,
): RedirectStep {
  if (!location) {
    throw new KimgError(
      'REDIRECT_REFUSED',
      `${method} ${redactUrl(from)}: redirect ${status} without a Location`,
    );
  }
  if (hops >= MAX_REDIRECTS) {
    throw new KimgError(
      'REDIRECT_REFUSED',
      `${method} ${redactUrl(from)}: more than ${MAX_REDIRECTS} redirects`,
      'the registry or its storage is redirecting in a loop; report it to the registry operator',
    );
  }
  let to: URL;
  try {
    to = new URL(location, from);
  } catch {
    throw new KimgError('REDIRECT_REFUSED', `${method} ${redactUrl(from)}: redirect to an invalid Location`);
  }
  if (to.protocol !== 'https:' && to.protocol !== 'http:') {
    throw new KimgError(
      'REDIRECT_REFUSED',
      `${method} ${redactUrl(from)}: redirect to unsupported scheme ${to.protocol}`,
    );
  }
  if (isDowngrade(from, to)) {
    throw new KimgError(
      'REDIRECT_REFUSED',
      `${method} ${redactUrl(from)}: refused redirect from https to plain http (${redactUrl(to)})`,
      'a registry must not downgrade to http; report it to the registry operator',
    );
  }
  // Undici URL objects keep user-info; credentials in a Location are never used.
  to.username = '';
  to.password = '';
  if (status === 303 && method !== 'HEAD') return { url: to, method: 'GET', keepBody: false };
  return { url: to, method, keepBody: true };
}
