import { KimgError } from '../../errors';
import { redactUrl } from './redact';
import { DEFAULT_TIMEOUTS, formatDuration, timeoutHint, type Timeouts } from './timeouts';

/**
 * Which thrown errors mean "the connection failed, try again" and which mean "this will never work". Codes are
 * Node's (libuv, OpenSSL) and undici's (`UND_ERR_*`, see undici docs/api/Errors.md).
 */
const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** OpenSSL verification failures: retrying cannot help; the user must fix trust. */
const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

export function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && !(e instanceof KimgError)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The TLS-level failures meaning "this port speaks plain HTTP", after which http is tried. */
const NOT_TLS_CODES = new Set([
  'EPROTO',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'ECONNRESET',
  'UND_ERR_SOCKET',
]);

/** An https attempt failed because the server speaks plain HTTP (the insecure-registry fallback, session.ts). */
export function speaksPlainHttp(err: unknown): boolean {
  return NOT_TLS_CODES.has(errorCode(err) ?? '');
}

export function isRetryableNetworkError(err: unknown): boolean {
  if (err instanceof KimgError) return false;
  const code = errorCode(err);
  return code !== undefined && RETRYABLE_CODES.has(code);
}

export function isTlsError(err: unknown): boolean {
  const code = errorCode(err);
  return (
    code !== undefined && (TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_'))
  );
}

/** undici's deadline errors, and which of our timeouts each one is. */
const TIMEOUT_CODES: Record<string, { which: keyof Timeouts; what: string }> = {
  UND_ERR_CONNECT_TIMEOUT: { which: 'connectMs', what: 'no connection' },
  UND_ERR_HEADERS_TIMEOUT: { which: 'responseMs', what: 'no response headers' },
  UND_ERR_BODY_TIMEOUT: { which: 'idleMs', what: 'no data' },
};

/** True for a connect, response or idle timeout: the peer went silent (retrying it waits as long again). */
export function isTimeoutError(err: unknown): boolean {
  const code = errorCode(err);
  return code !== undefined && code in TIMEOUT_CODES;
}

/** Turns a low-level failure into a KimgError naming the request and the way out. Passes KimgErrors through. */
export function networkError(
  err: unknown,
  method: string,
  url: URL,
  timeouts: Timeouts = DEFAULT_TIMEOUTS,
): KimgError {
  if (err instanceof KimgError) return err;
  const code = errorCode(err) ?? 'unknown';
  const where = `${method} ${redactUrl(url)}`;
  const timeout = TIMEOUT_CODES[code];
  if (timeout) {
    return new KimgError(
      'TIMEOUT',
      `${where}: ${timeout.what} within ${formatDuration(timeouts[timeout.which])}`,
      timeoutHint(timeout.which),
      { cause: err },
    );
  }
  if (
    code === 'UND_ERR_ABORTED' ||
    code === 'ABORT_ERR' ||
    (err as Error | undefined)?.name === 'AbortError'
  ) {
    return new KimgError('ABORTED', `${where}: cancelled`, undefined, { cause: err });
  }
  if (isTlsError(err)) {
    return new KimgError(
      'TLS_ERROR',
      `${where}: TLS failed (${code}: ${(err as Error).message})`,
      `trust the registry's CA (put ca.crt in /etc/containers/certs.d/${url.host}/ or use --cert-dir), ` +
        'or, for a test registry only, --tls-verify=false',
      { cause: err },
    );
  }
  return new KimgError(
    'NETWORK_ERROR',
    `${where}: ${(err as Error | undefined)?.message ?? String(err)} (${code})`,
    'check that the registry is reachable from here (proxy, DNS, firewall) and try again',
    { cause: err },
  );
}
