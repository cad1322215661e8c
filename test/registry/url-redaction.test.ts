import { redactHeaders, redactUrl } from '../../src/registry';

describe('redactUrl', () => {
  it('drops user-info and the values of query parameters that may be secrets', () => {
    expect(
      redactUrl('https://user:pa55@r.example/v2/a/blobs/uploads/u1?_state=SIGNED&digest=sha256:ab'),
    ).toBe('https://r.example/v2/a/blobs/uploads/u1?_state=REDACTED&digest=sha256%3Aab');
    expect(
      redactUrl(
        'https://bucket.s3.amazonaws.com/docker/blob?X-Amz-Signature=abc&X-Amz-Credential=AKIA&X-Amz-Expires=60',
      ),
    ).toBe(
      'https://bucket.s3.amazonaws.com/docker/blob?X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED&X-Amz-Expires=REDACTED',
    );
    expect(redactUrl('https://cdn/x?sig=1&token=2#frag')).toBe('https://cdn/x?sig=REDACTED&token=REDACTED');
  });

  it('keeps the spec query parameters that help a human', () => {
    expect(redactUrl('https://r/v2/a/tags/list?n=100&last=v1')).toBe(
      'https://r/v2/a/tags/list?n=100&last=v1',
    );
    expect(redactUrl(new URL('https://r/v2/a/blobs/uploads/?mount=sha256:1&from=b'))).toBe(
      'https://r/v2/a/blobs/uploads/?mount=sha256%3A1&from=b',
    );
  });

  it('never echoes what it cannot parse', () => {
    expect(redactUrl('not a url with secret')).toBe('<unparseable URL>');
  });
});

describe('redactHeaders', () => {
  it('hides credentials and cookies', () => {
    expect(
      redactHeaders({
        Authorization: 'Bearer x',
        cookie: 'a',
        accept: 'b',
        multi: ['c', 'd'],
        none: undefined,
      }),
    ).toEqual({
      Authorization: 'REDACTED',
      cookie: 'REDACTED',
      accept: 'b',
      multi: 'c, d',
    });
  });
});
