/** Which requests a rule applies to; every field is optional and an omitted one matches anything. */
export interface RuleMatch {
  method?: string;
  /** Tested against the request path with its query string. */
  path?: RegExp;
  /** 1-based: the first matching request the rule fires on (default 1), e.g. 2 = "the second PUT". */
  nth?: number;
  /** How many matching requests it fires on from `nth` on (default: all). */
  times?: number;
}

/**
 * Faults a real registry cannot produce on demand (DESIGN.md allows scripted fakes for exactly these):
 * - status: answer without forwarding, with a distribution-spec error body (and Retry-After if given);
 * - reset-mid-body: forward, then destroy the socket after `afterBytes` bytes of the response body;
 * - corrupt-byte: forward with the body byte at `offset` flipped (size unchanged, digest wrong);
 * - redirect: answer 307 to the same path on another origin (the way registries hand out S3/CDN URLs);
 * - drop-header: forward without one response header (e.g. Docker-Content-Digest);
 * - stall-mid-body: forward `afterBytes` bytes of the body, then send nothing more and keep the connection open
 *   (a transfer under way that a signal or a deadline must end).
 */
export type FaultRule = RuleMatch &
  (
    | { kind: 'status'; status: number; retryAfter?: string; body?: string }
    | { kind: 'reset-mid-body'; afterBytes: number }
    | { kind: 'corrupt-byte'; offset: number }
    | { kind: 'redirect'; to?: 'other-origin' }
    | { kind: 'drop-header'; name: string }
    | { kind: 'stall-mid-body'; afterBytes: number }
  );

interface RuleState {
  rule: FaultRule;
  seen: number;
  fired: number;
}

/** Keeps per-rule counters; `fire` returns every rule that applies to this request, in the order given. */
export class RuleBook {
  private states: RuleState[] = [];

  set(rules: FaultRule[]): void {
    this.states = rules.map((rule) => ({ rule, seen: 0, fired: 0 }));
  }

  fire(method: string, path: string): FaultRule[] {
    const firing: FaultRule[] = [];
    for (const state of this.states) {
      const { rule } = state;
      if (rule.method !== undefined && rule.method.toUpperCase() !== method.toUpperCase()) continue;
      if (rule.path !== undefined && !rule.path.test(path)) continue;
      state.seen++;
      if (state.seen < (rule.nth ?? 1) || state.fired >= (rule.times ?? Infinity)) continue;
      state.fired++;
      firing.push(rule);
    }
    return firing;
  }
}

/** The distribution-spec error code for a status, so clients parse the body as they would a real registry's. */
export function errorBody(status: number): string {
  const code =
    status === 429
      ? 'TOOMANYREQUESTS'
      : status === 401
        ? 'UNAUTHORIZED'
        : status === 404
          ? 'NOT_FOUND'
          : 'UNAVAILABLE';
  return JSON.stringify({ errors: [{ code, message: `injected by the kimg fault proxy (${status})` }] });
}
