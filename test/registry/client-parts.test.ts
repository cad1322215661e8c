import { Readable } from 'node:stream';
import {
  contentRangeStart,
  credentialId,
  HostLimiter,
  readLimited,
  ScopeSet,
  TokenCache,
} from '../../src/registry';
import { uploadedBytes } from '../../src/registry/client/chunked-upload';
import { nextLink } from '../../src/registry/client/pagination';
import { TOKEN_EXPIRY_MARGIN_MS } from '../../src/registry/auth/token-cache';

describe('scopes', () => {
  it('merges actions per resource in canonical order and checks coverage', () => {
    const set = new ScopeSet([
      'repository:b:pull',
      'repository:a:push',
      'repository:a:pull',
      'registry:catalog:*',
    ]);
    expect(set.toArray()).toEqual(['registry:catalog:*', 'repository:a:pull,push', 'repository:b:pull']);
    expect(set.covers(['repository:a:pull'])).toBe(true);
    expect(set.covers(['repository:b:push'])).toBe(false);
    expect(set.covers(['registry:catalog:*'])).toBe(true);
    expect(new ScopeSet(['repository:host:5000/a:pull']).toArray()).toEqual(['repository:host:5000/a:pull']);
  });
});

describe('TokenCache', () => {
  const key = (realm: string, service: string | undefined, account = 'alice') => ({
    realm,
    service,
    account,
  });

  it('serves a token while it covers the scopes and is not about to expire', () => {
    let now = 0;
    const cache = new TokenCache(() => now);
    cache.put(key('realm', 'svc'), { token: 't1', expiresAt: 60_000, scopes: ['repository:a:pull,push'] });
    expect(cache.get(key('realm', 'svc'), ['repository:a:pull'])?.token).toBe('t1');
    expect(cache.get(key('realm', 'other'), ['repository:a:pull'])).toBeUndefined();
    expect(cache.get(key('realm', 'svc'), ['repository:b:pull'])).toBeUndefined();
    now = 60_000 - TOKEN_EXPIRY_MARGIN_MS; // refreshed before it runs out (between chunks of a long upload)
    expect(cache.get(key('realm', 'svc'), ['repository:a:pull'])).toBeUndefined();
  });

  it('forgets a refused token', () => {
    const cache = new TokenCache(() => 0);
    cache.put(key('r', undefined), {
      token: 't',
      expiresAt: 1e9,
      scopes: ['repository:a:pull'],
      refreshToken: 'rt',
    });
    expect(cache.refreshToken(key('r', undefined))).toBe('rt');
    cache.invalidate(key('r', undefined), 't');
    expect(cache.get(key('r', undefined), ['repository:a:pull'])).toBeUndefined();
  });

  it('never hands a token or refresh token one login obtained to another login', () => {
    const cache = new TokenCache(() => 0);
    const token = { token: 't', expiresAt: 1e9, scopes: ['repository:a:pull,push'], refreshToken: 'rt' };
    cache.put(key('r', 's', credentialId({ username: 'alice', password: 'pa' })), token);
    expect(cache.get(key('r', 's', credentialId({ username: 'alice', password: 'pa' })), [])).toBe(token);
    for (const other of [
      { username: 'bob', password: 'pa' },
      { username: 'alice', password: 'other' },
      { identityToken: 'pa', username: 'alice' },
      undefined,
    ]) {
      expect(cache.get(key('r', 's', credentialId(other)), ['repository:a:pull'])).toBeUndefined();
      expect(cache.refreshToken(key('r', 's', credentialId(other)))).toBeUndefined();
    }
    // The id is a digest: the cache key holds no password.
    expect(credentialId({ username: 'alice', password: 'pa' })).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('HostLimiter', () => {
  it('keeps small requests moving while the blob lane is full', async () => {
    const limiter = new HostLimiter(2);
    const blobs = [await limiter.acquire('h', 'blob'), await limiter.acquire('h', 'blob')];
    let third = false;
    const waiting = limiter.acquire('h', 'blob').then((release) => {
      third = true;
      return release;
    });
    const small = await limiter.acquire('h', 'small'); // not queued behind the blobs
    const other = await limiter.acquire('other', 'blob'); // other hosts have their own slots
    expect(third).toBe(false);
    blobs[0]?.();
    (await waiting)();
    expect(third).toBe(true);
    small();
    other();
    blobs[1]?.();
  });

  it('stops waiting when aborted', async () => {
    const limiter = new HostLimiter(1);
    const held = await limiter.acquire('h', 'blob');
    const controller = new AbortController();
    const waiting = limiter.acquire('h', 'blob', controller.signal);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
    held();
    (await limiter.acquire('h', 'blob'))();
  });
});

describe('header parsing', () => {
  it('reads Link next pages, relative or absolute, and refuses other origins', () => {
    const base = new URL('https://r.example/v2/a/tags/list?n=2');
    expect(nextLink('</v2/a/tags/list?n=2&last=b>; rel="next"', base)?.href).toBe(
      'https://r.example/v2/a/tags/list?n=2&last=b',
    );
    expect(nextLink('<https://r.example/v2/_catalog?last=x>; rel=next', base)?.href).toBe(
      'https://r.example/v2/_catalog?last=x',
    );
    expect(nextLink('</prev>; rel="prev", </next>; rel="next"', base)?.pathname).toBe('/next');
    expect(nextLink(undefined, base)).toBeUndefined();
    expect(() => nextLink('<https://evil.example/v2/a/tags/list>; rel="next"', base)).toThrow(
      /another origin/,
    );
  });

  it('reads upload Range and Content-Range', () => {
    expect(uploadedBytes('0-999')).toBe(1000);
    expect(uploadedBytes('bytes=0-4')).toBe(5);
    expect(uploadedBytes('0-0')).toBe(0); // distribution's answer for an empty upload
    expect(uploadedBytes(undefined)).toBeUndefined();
    expect(contentRangeStart('bytes 100-199/1000')).toBe(100);
    expect(contentRangeStart('bytes 100-199/*')).toBe(100);
    expect(contentRangeStart('items 1-2/3')).toBeUndefined();
  });
});

describe('readLimited', () => {
  it('cuts a body at the limit, or refuses it', async () => {
    const body = () => Readable.from([Buffer.alloc(40, 1), Buffer.alloc(40, 2)]);
    expect((await readLimited(body(), 50, 'x', { truncate: true })).length).toBe(50);
    await expect(readLimited(body(), 50, 'the manifest')).rejects.toMatchObject({
      code: 'SIZE_LIMIT',
      message: expect.stringContaining('50-byte limit'),
    });
    expect((await readLimited(body(), 80, 'x')).length).toBe(80);
  });
});
