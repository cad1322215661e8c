import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseRateLimit, rateLimitPause, RegistryClient } from '../../src/registry';

describe('parseRateLimit', () => {
  it("reads Docker Hub's quota syntax, the draft's Remaining/Reset pair and its structured field", () => {
    expect(parseRateLimit({ 'ratelimit-remaining': '76;w=21600' })).toEqual({ remaining: 76 });
    expect(parseRateLimit({ 'ratelimit-remaining': '0', 'ratelimit-reset': '30' })).toEqual({
      remaining: 0,
      resetMs: 30_000,
    });
    expect(parseRateLimit({ ratelimit: '"default";r=3;t=10' })).toEqual({ remaining: 3, resetMs: 10_000 });
  });

  it('ignores what it cannot read', () => {
    for (const headers of [{}, { 'ratelimit-remaining': 'many' }, { 'ratelimit-remaining': '-1' }])
      expect(parseRateLimit(headers)).toBeUndefined();
    expect(parseRateLimit({ ratelimit: '"default";t=10' })).toBeUndefined();
  });
});

describe('rateLimitPause', () => {
  it('waits for the reset when nothing is left, spreads the rest when little is, never past the cap', () => {
    expect(rateLimitPause({ remaining: 0, resetMs: 2_000 }, 4, 60_000)).toBe(2_000);
    expect(rateLimitPause({ remaining: 3, resetMs: 2_000 }, 4, 60_000)).toBe(500);
    expect(rateLimitPause({ remaining: 0, resetMs: 3_600_000 }, 4, 60_000)).toBe(60_000);
  });

  it('does not pause with plenty left or without a reset time (a sliding window)', () => {
    expect(rateLimitPause({ remaining: 50, resetMs: 2_000 }, 4, 60_000)).toBe(0);
    expect(rateLimitPause({ remaining: 0 }, 4, 60_000)).toBe(0);
    expect(rateLimitPause(undefined, 4, 60_000)).toBe(0);
  });
});

describe('a registry whose quota runs out', () => {
  let server: Server;
  let host: string;
  const arrivals: number[] = [];

  beforeAll(async () => {
    // Scripted (DESIGN.md: a real registry does not send rate-limit headers): the first manifest HEAD says
    // the quota is spent for 1 s.
    server = createServer((req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end();
      arrivals.push(Date.now());
      const spent = arrivals.length === 1 ? { 'ratelimit-remaining': '0', 'ratelimit-reset': '1' } : {};
      res.writeHead(404, { ...spent, 'content-type': 'application/json' }).end('{"errors":[]}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('holds the next request off until the reset, instead of running into 429s, and counts the pause', async () => {
    const client = new RegistryClient({ scheme: () => 'http' });
    try {
      const repo = client.repository(host, 'quota/app');
      expect(await repo.headManifest('1')).toBeUndefined();
      expect(await repo.headManifest('2')).toBeUndefined();
      expect((arrivals[1] as number) - (arrivals[0] as number)).toBeGreaterThanOrEqual(900);
      expect(client.stats()).toEqual({ requests: 3, retries: 0, rateLimitPauses: 1 });
    } finally {
      await client.close();
    }
  });
});
