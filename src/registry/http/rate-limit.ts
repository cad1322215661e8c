import type { IncomingHttpHeaders } from 'node:http';

/**
 * What a registry says is left of its request quota, from the rate-limit headers registries send:
 * - Docker Hub: `ratelimit-remaining: 76;w=21600` (draft-ietf-httpapi-ratelimit-headers-00 quota syntax: the
 *   count, then the window in seconds), with no reset time (a sliding window);
 * - the IETF draft's `RateLimit-Remaining: N` with `RateLimit-Reset: S` (seconds until the quota returns), and
 *   its later structured form `RateLimit: "policy";r=N;t=S` (draft-ietf-httpapi-ratelimit-headers-07 §3).
 */
export interface RateLimitState {
  remaining: number;
  /** Milliseconds until the quota is restored, when the registry says. */
  resetMs?: number;
}

function first(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A non-negative whole number at the start of `text` (`76;w=21600` → 76), else undefined. */
function leadingCount(text: string | undefined): number | undefined {
  const match = /^\s*(\d{1,12})(?:\s*[;,]|\s*$)/.exec(text ?? '');
  return match ? Number(match[1]) : undefined;
}

/** `key=N` among `;`-separated parameters of a structured field item (`"default";r=5;t=30`). */
function parameter(text: string, key: string): number | undefined {
  for (const part of text.split(';').slice(1)) {
    const [name, value] = part.split('=', 2).map((s) => s.trim());
    if (name === key && value !== undefined && /^\d{1,12}$/.test(value)) return Number(value);
  }
  return undefined;
}

export function parseRateLimit(headers: IncomingHttpHeaders): RateLimitState | undefined {
  const structured = first(headers, 'ratelimit');
  if (structured !== undefined) {
    const remaining = parameter(structured, 'r');
    const reset = parameter(structured, 't');
    if (remaining !== undefined) return { remaining, ...(reset !== undefined && { resetMs: reset * 1000 }) };
  }
  const remaining = leadingCount(first(headers, 'ratelimit-remaining'));
  if (remaining === undefined) return undefined;
  const reset = leadingCount(first(headers, 'ratelimit-reset'));
  return { remaining, ...(reset !== undefined && { resetMs: reset * 1000 }) };
}

/**
 * How long to hold the host off after this answer, so the run slows down instead of running into 429s: with
 * nothing left, until the quota returns; with a few left (≤ `lowWater`), the rest spread over the time to the
 * reset. Never longer than `capMs` (the retry policy's Retry-After cap): a registry cannot park us for hours,
 * its 429 then says so. No reset time (Docker Hub's sliding window): no pause, Retry-After handles the 429.
 */
export function rateLimitPause(state: RateLimitState | undefined, lowWater: number, capMs: number): number {
  if (!state || state.resetMs === undefined || state.remaining > lowWater) return 0;
  const pause = state.remaining === 0 ? state.resetMs : state.resetMs / (state.remaining + 1);
  return Math.round(Math.min(pause, capMs));
}
