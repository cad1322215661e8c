/**
 * What a client's requests cost, for the run's report (`kimg copy --format json`: `requests`, `retries`): a
 * registry that answered 429 or 503 and was waited out shows up here instead of in an error (issue 12).
 */
export interface RequestStats {
  /** HTTP requests sent: every attempt and every redirect hop. */
  requests: number;
  /**
   * Requests sent again after a retryable failure: 408/429/5xx answers, dropped connections, failed uploads
   * (a new session), blob downloads resumed with Range.
   */
  retries: number;
  /** Times a host was held off because its `RateLimit-Remaining` ran out (rate-limit.ts). */
  rateLimitPauses: number;
}

export function emptyRequestStats(): RequestStats {
  return { requests: 0, retries: 0, rateLimitPauses: 0 };
}
