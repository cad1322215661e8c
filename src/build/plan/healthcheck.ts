/**
 * HEALTHCHECK's config value (Dockerfile reference, "HEALTHCHECK"; image-spec config.md leaves it to Docker):
 * `Test` is `["NONE"]`, `["CMD", arg…]` or `["CMD-SHELL", command]`; durations are nanoseconds.
 */
const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration subset Docker accepts: `1h30m`, `5s`, `250ms`, `1.5s`. Undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined;
  return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * (UNIT_NS[p[2] ?? ''] ?? 0), 0));
}

export const HEALTHCHECK_DURATION_FLAGS: Record<string, string> = {
  interval: 'Interval',
  timeout: 'Timeout',
  'start-period': 'StartPeriod',
  'start-interval': 'StartInterval',
};
