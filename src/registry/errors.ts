import { KimgError, type ErrorCode } from '../errors';
import { MAX_ERROR_BODY_BYTES } from '../manifest/limits';
import { readLimited } from './http/body';
import { redactUrl } from './http/redact';
import { header, type HttpResponse } from './http/transport';

/** What a registry's error body may put in our one-line message (the body itself is cut at 64 KiB). */
export const MAX_ERROR_TEXT_CHARS = 500;

function shorten(text: string): string {
  return text.length > MAX_ERROR_TEXT_CHARS ? `${text.slice(0, MAX_ERROR_TEXT_CHARS)}…` : text;
}

/** One entry of the distribution-spec error body: `{"errors":[{"code":"…","message":"…","detail":…}]}`. */
export interface RegistryErrorDetail {
  code: string;
  message?: string;
  detail?: unknown;
}

/**
 * A registry said no. Carries what a script needs (method, redacted URL, status, the spec's error codes) and a
 * message + hint a human can act on. `code` is the KimgError code derived from the spec code and status.
 */
export class RegistryError extends KimgError {
  constructor(
    code: ErrorCode,
    message: string,
    hint: string | undefined,
    readonly method: string,
    /** Already redacted. */
    readonly url: string,
    readonly status: number,
    readonly errors: readonly RegistryErrorDetail[],
    /** The response's `Retry-After`, for callers that retry a whole operation (uploads). */
    readonly retryAfter?: string,
  ) {
    super(code, message, hint);
  }

  /** The distribution-spec codes of the body, e.g. ['MANIFEST_UNKNOWN']. */
  get specCodes(): string[] {
    return this.errors.map((e) => e.code);
  }
}

export function isRegistryError(err: unknown, status?: number): err is RegistryError {
  return err instanceof RegistryError && (status === undefined || err.status === status);
}

/** What the failing request was for, in words: "manifest docker.io/library/nginx:1", "blob sha256:… in a/b". */
export interface ErrorContext {
  what: string;
  /** Registry host, for the `kimg login HOST` hint. */
  host: string;
  /** The KimgError code for a 404 whose body names no spec code (HEAD responses have no body). */
  notFound?: ErrorCode;
}

const SPEC_TO_KIMG: Record<string, ErrorCode> = {
  BLOB_UNKNOWN: 'BLOB_UNKNOWN',
  MANIFEST_UNKNOWN: 'MANIFEST_UNKNOWN',
  NAME_UNKNOWN: 'NAME_UNKNOWN',
  UNAUTHORIZED: 'UNAUTHORIZED',
  DENIED: 'DENIED',
  TOOMANYREQUESTS: 'TOO_MANY_REQUESTS',
  DIGEST_INVALID: 'DIGEST_MISMATCH',
  SIZE_INVALID: 'SIZE_MISMATCH',
  MANIFEST_INVALID: 'MANIFEST_INVALID',
  UNSUPPORTED: 'UNSUPPORTED',
};

function kimgCode(status: number, specCodes: string[], context: ErrorContext): ErrorCode {
  for (const spec of specCodes) {
    const mapped = SPEC_TO_KIMG[spec];
    if (mapped) return mapped;
  }
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'DENIED';
  if (status === 429) return 'TOO_MANY_REQUESTS';
  if (status === 404 && context.notFound) return context.notFound;
  if (status === 405) return 'UNSUPPORTED';
  return 'REGISTRY_ERROR';
}

function hintFor(code: ErrorCode, status: number, context: ErrorContext): string | undefined {
  switch (code) {
    case 'UNAUTHORIZED':
      return `log in with "kimg login ${context.host}" (or check the credentials in your auth file)`;
    case 'DENIED':
      return `your credentials for ${context.host} do not grant this; check the repository name and your permissions`;
    case 'NAME_UNKNOWN':
      return 'check the repository name (and that you are logged in: private repositories look like unknown ones)';
    case 'MANIFEST_UNKNOWN':
      return 'check the tag or digest; "kimg tags docker://REPO" lists the tags';
    case 'BLOB_UNKNOWN':
      return 'the registry does not have this blob; push the image again or check the repository';
    case 'TOO_MANY_REQUESTS':
      return 'the registry is rate-limiting you: wait and try again, log in for a higher limit, or use a mirror';
    case 'UNSUPPORTED':
      return 'this registry does not support the operation (deletes, for one, are often disabled)';
    default:
      return status >= 500 ? 'the registry failed on its side; try again later' : undefined;
  }
}

function parseBody(body: Buffer): { details: RegistryErrorDetail[]; text: string } {
  const text = body.toString('utf8');
  try {
    const parsed = JSON.parse(text) as { errors?: unknown };
    if (Array.isArray(parsed.errors)) {
      const details = parsed.errors
        .filter(
          (e): e is { code: unknown; message?: unknown; detail?: unknown } =>
            typeof e === 'object' && e !== null,
        )
        .map((e) => ({
          code: String(e.code ?? 'UNKNOWN'),
          message: typeof e.message === 'string' ? e.message : undefined,
          detail: e.detail,
        }));
      return { details, text };
    }
  } catch {
    // Not JSON: proxies and load balancers answer in HTML or plain text.
  }
  return { details: [], text };
}

/** Reads (at most 64 KiB of) an error response and builds the RegistryError for it. */
export async function errorFromResponse(
  response: HttpResponse,
  context: ErrorContext,
): Promise<RegistryError> {
  // A body that trickles is ended by the transport's deadline on non-2xx bodies (then reported without it).
  const body = await readLimited(response.body, MAX_ERROR_BODY_BYTES, 'error body', { truncate: true }).catch(
    () => Buffer.alloc(0),
  );
  const { details, text } = parseBody(body);
  const specCodes = details.map((d) => d.code);
  const code = kimgCode(response.status, specCodes, context);
  const url = redactUrl(response.url);
  const said = shorten(
    details.length
      ? details.map((d) => (d.message ? `${d.code}: ${d.message}` : d.code)).join('; ')
      : text.replace(/\s+/g, ' ').trim(),
  );
  const cut = body.length >= MAX_ERROR_BODY_BYTES ? ` (error body cut at ${MAX_ERROR_BODY_BYTES} bytes)` : '';
  const retryAfter = header(response.headers, 'retry-after');
  const wait = code === 'TOO_MANY_REQUESTS' && retryAfter ? ` (Retry-After: ${retryAfter})` : '';
  const message = `${context.what}: ${response.method} ${url} returned ${response.status}${said ? ` (${said})` : ''}${wait}${cut}`;
  return new RegistryError(
    code,
    message,
    hintFor(code, response.status, context),
    response.method,
    url,
    response.status,
    details,
  );
}
