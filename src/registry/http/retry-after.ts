/**
 * `Retry-After` (RFC 9110 §10.2.3): either delay-seconds or an HTTP-date. Registries send it with 429
 * (Docker Hub's pull limits) and 503 (maintenance). Returns milliseconds from `now`, or undefined when the
 * header is absent or malformed (the caller then uses its own backoff). A date in the past means "now" (0).
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) {
    const seconds = Number(text);
    return Number.isSafeInteger(seconds) ? seconds * 1000 : undefined;
  }
  // HTTP-date: IMF-fixdate preferred, RFC 850 and asctime accepted (§5.6.7); Date.parse handles all three.
  // A bare number with a sign or fraction is not a valid delay-seconds and not a date.
  if (!/[a-zA-Z]/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
