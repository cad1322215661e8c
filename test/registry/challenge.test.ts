import { parseChallenges, preferredChallenge } from '../../src/registry';

describe('parseChallenges (RFC 9110 §11.6.1)', () => {
  it('parses a Docker Hub Bearer challenge with a scope list holding commas', () => {
    expect(
      parseChallenges(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull,push"',
      ),
    ).toEqual([
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.docker.io/token',
          service: 'registry.docker.io',
          scope: 'repository:library/nginx:pull,push',
        },
      },
    ]);
  });

  it('parses Basic with a realm, several challenges in one header, and spaces around =', () => {
    expect(
      parseChallenges('Basic realm="Registry Realm", Bearer realm = "https://a/t" , service=reg'),
    ).toEqual([
      { scheme: 'basic', params: { realm: 'Registry Realm' } },
      { scheme: 'bearer', params: { realm: 'https://a/t', service: 'reg' } },
    ]);
  });

  it('handles escaped quotes, unquoted tokens, case-insensitive names, token68 and repeated headers', () => {
    expect(parseChallenges('BEARER Realm="a \\"b\\", c",Error=insufficient_scope')).toEqual([
      { scheme: 'bearer', params: { realm: 'a "b", c', error: 'insufficient_scope' } },
    ]);
    expect(parseChallenges('Negotiate abc123==, Basic realm=x')).toEqual([
      { scheme: 'negotiate', params: {}, token68: 'abc123==' },
      { scheme: 'basic', params: { realm: 'x' } },
    ]);
    expect(parseChallenges(['Basic realm="a"', 'Bearer realm="b"']).map((c) => c.scheme)).toEqual([
      'basic',
      'bearer',
    ]);
    expect(parseChallenges('Basic')).toEqual([{ scheme: 'basic', params: {} }]);
  });

  it('survives garbage and an unterminated quote', () => {
    expect(parseChallenges('')).toEqual([]);
    expect(parseChallenges(undefined)).toEqual([]);
    expect(parseChallenges('Bearer realm="https://a/t')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://a/t' } },
    ]);
    expect(() => parseChallenges('@@@ ,,, ="x"')).not.toThrow();
  });

  it('prefers Bearer over Basic', () => {
    expect(preferredChallenge(parseChallenges('Basic realm="x", Bearer realm="y"'))?.scheme).toBe('bearer');
    expect(preferredChallenge(parseChallenges('Digest realm="x"'))).toBeUndefined();
  });
});
