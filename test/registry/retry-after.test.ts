import { backoffDelay, DEFAULT_RETRY_POLICY, parseRetryAfter, retryDelay } from '../../src/registry';
import { HostBackoff } from '../../src/registry/http/host-backoff';

describe('parseRetryAfter (RFC 9110 §10.2.3)', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
  });

  it('reads HTTP-dates in all three formats, a past date meaning now', () => {
    expect(parseRetryAfter('Wed, 01 May 2024 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wednesday, 01-May-24 12:01:00 GMT', now)).toBe(60_000);
    // asctime has no zone; Date.parse reads it as local time, so only check it parses.
    expect(parseRetryAfter('Wed May  1 12:00:05 2024', now)).toEqual(expect.any(Number));
    expect(parseRetryAfter('Wed, 01 May 2024 11:00:00 GMT', now)).toBe(0);
  });

  it('ignores what is neither', () => {
    for (const bad of [undefined, '', '-1', '1.5', 'soon', '1e3'])
      expect(parseRetryAfter(bad, now)).toBeUndefined();
  });
});

describe('retry delays', () => {
  it('grows exponentially with jitter, up to the cap', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1_000 };
    expect(backoffDelay(policy, 0, () => 0)).toBe(50);
    expect(backoffDelay(policy, 0, () => 1)).toBe(100);
    expect(backoffDelay(policy, 3, () => 1)).toBe(800);
    expect(backoffDelay(policy, 10, () => 1)).toBe(1_000);
  });

  it('honours Retry-After up to the cap, and gives up beyond it', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, maxRetryAfterMs: 10_000 };
    expect(retryDelay(policy, 0, '3')).toBe(3_000);
    expect(retryDelay(policy, 0, '3600')).toBeUndefined();
    expect(retryDelay(policy, 0, undefined)).toBeLessThanOrEqual(policy.baseDelayMs);
  });

  it('shares backoff per host', async () => {
    let now = 1_000;
    const backoff = new HostBackoff(() => now);
    backoff.delay('a:1', 500);
    backoff.delay('a:1', 100); // a shorter delay never shortens a longer one
    expect(backoff.remaining('a:1')).toBe(500);
    expect(backoff.remaining('b:1')).toBe(0);
    now += 400;
    expect(backoff.remaining('a:1')).toBe(100);
    backoff.clear('a:1');
    expect(backoff.remaining('a:1')).toBe(0);
  });
});
