import { MAX_REDIRECTS, nextRedirect } from '../../src/registry';
import { isDowngrade, sameOrigin } from '../../src/registry/http/origin';

describe('redirect policy', () => {
  const from = new URL('https://registry.example/v2/a/blobs/sha256:1');

  it('resolves relative Locations and keeps the method, switching 303 to GET', () => {
    expect(nextRedirect(from, 'GET', 307, '/other', 0)).toEqual({
      url: new URL('https://registry.example/other'),
      method: 'GET',
      keepBody: true,
    });
    expect(nextRedirect(from, 'PUT', 303, 'https://s3.example/x', 0)).toMatchObject({
      method: 'GET',
      keepBody: false,
    });
    expect(nextRedirect(from, 'PUT', 308, 'https://s3.example/x', 0)).toMatchObject({
      method: 'PUT',
      keepBody: true,
    });
  });

  it('refuses https → http, odd schemes, missing Locations and more than 10 hops', () => {
    expect(() => nextRedirect(from, 'GET', 302, 'http://registry.example/v2/', 0)).toThrow(
      /https to plain http/,
    );
    expect(() => nextRedirect(from, 'GET', 302, 'file:///etc/passwd', 0)).toThrow(/unsupported scheme/);
    expect(() => nextRedirect(from, 'GET', 302, undefined, 0)).toThrow(/without a Location/);
    expect(() => nextRedirect(from, 'GET', 302, '/x', MAX_REDIRECTS)).toThrow(/more than 10 redirects/);
    expect(nextRedirect(new URL('http://localhost:5000/v2/'), 'GET', 302, 'https://x/', 0).url.protocol).toBe(
      'https:',
    );
  });

  it('strips user-info from a Location and redacts secrets in its errors', () => {
    expect(nextRedirect(from, 'GET', 302, 'https://u:p@cdn.example/x', 0).url.href).toBe(
      'https://cdn.example/x',
    );
    expect(() => nextRedirect(from, 'GET', 302, 'http://cdn.example/x?sig=SECRET', 0)).toThrow(
      /sig=REDACTED/,
    );
  });

  it('compares origins by scheme, host and port', () => {
    const a = new URL('https://r.example/v2/');
    expect(sameOrigin(a, new URL('https://R.EXAMPLE:443/x'))).toBe(true);
    expect(sameOrigin(a, new URL('http://r.example/v2/'))).toBe(false);
    expect(sameOrigin(a, new URL('https://r.example:8443/v2/'))).toBe(false);
    expect(sameOrigin(a, new URL('https://s3.r.example/v2/'))).toBe(false);
    expect(isDowngrade(a, new URL('http://r.example/'))).toBe(true);
  });
});
