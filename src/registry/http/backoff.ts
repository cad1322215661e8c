import { parseRetryAfter } from './retry-after';

/**
 * How requests are retried (issue 3 §5): network errors and 408/429/500/502/503/504, exponential backoff with
 * full jitter (AWS architecture blog "Exponential Backoff And Jitter"), `Retry-After` honoured up to a cap so a
 * registry cannot park us for hours.
 */
export interface RetryPolicy {
  /** Attempts in total, the first included. */
  maxAttempts: number;
  /** Delay before the first retry; doubles each time. */
  baseDelayMs: number;
  /** Ceiling of the exponential delay. */
  maxDelayMs: number;
  /** Ceiling applied to `Retry-After`; a longer wait than this fails the request instead of sleeping. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = {
  maxAttempts: 5,
  baseDelayMs: 200,
  maxDelayMs: 10_000,
  maxRetryAfterMs: 60_000,
};

/** distribution-spec + RFC 9110: statuses that say "try again", as containerd and go-containerregistry retry. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

/** Exponential backoff with full jitter for retry number `retry` (0 for the first retry). */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  // Never 0: half the ceiling at least, so concurrent clients still spread but do not hammer.
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * The delay before retrying after a response: `Retry-After` when the server sent one (capped — undefined when
 * it asks for longer than the cap, meaning "give up"), else the exponential backoff.
 */
export function retryDelay(
  policy: RetryPolicy,
  retry: number,
  retryAfter: string | undefined,
): number | undefined {
  const asked = parseRetryAfter(retryAfter);
  if (asked === undefined) return backoffDelay(policy, retry);
  if (asked > policy.maxRetryAfterMs) return undefined;
  return asked;
}
