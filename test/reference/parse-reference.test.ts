import { isKimgError, type KimgError } from '../../src/errors';
import { parseReference, type ImageReference } from '../../src/reference';

const DIGEST = `sha256:${'a'.repeat(64)}`;

function errorOf(fn: () => unknown): KimgError {
  try {
    fn();
  } catch (err) {
    if (isKimgError(err)) return err;
    throw err;
  }
  throw new Error('expected a KimgError, nothing was thrown');
}

describe('parseReference: valid references and their normal form', () => {
  const cases: [string, ImageReference][] = [
    ['nginx', { domain: 'docker.io', path: 'library/nginx' }],
    ['nginx:1.27', { domain: 'docker.io', path: 'library/nginx', tag: '1.27' }],
    ['user/app:1', { domain: 'docker.io', path: 'user/app', tag: '1' }],
    ['docker.io/nginx', { domain: 'docker.io', path: 'library/nginx' }],
    ['index.docker.io/nginx', { domain: 'docker.io', path: 'library/nginx' }],
    ['index.docker.io/library/nginx:1', { domain: 'docker.io', path: 'library/nginx', tag: '1' }],
    ['docker.io/library/a/b', { domain: 'docker.io', path: 'library/a/b' }],
    ['localhost/app', { domain: 'localhost', path: 'app' }],
    ['localhost:5000/app:v1', { domain: 'localhost:5000', path: 'app', tag: 'v1' }],
    ['registry.example.com/a/b/c:1.0', { domain: 'registry.example.com', path: 'a/b/c', tag: '1.0' }],
    ['Registry.Example.com/app', { domain: 'Registry.Example.com', path: 'app' }],
    ['example.com:443/app', { domain: 'example.com:443', path: 'app' }],
    ['[::1]:5000/app:tag', { domain: '[::1]:5000', path: 'app', tag: 'tag' }],
    ['[2001:db8::1]/app', { domain: '[2001:db8::1]', path: 'app' }],
    [`quay.io/org/app@${DIGEST}`, { domain: 'quay.io', path: 'org/app', digest: DIGEST }],
    [`nginx:1.27@${DIGEST}`, { domain: 'docker.io', path: 'library/nginx', tag: '1.27', digest: DIGEST }],
    ['a__b/c-d.e_f---g', { domain: 'docker.io', path: 'a__b/c-d.e_f---g' }],
    // Tags keep their case: only repository names must be lowercase.
    ['app:V1_x.Y-z', { domain: 'docker.io', path: 'library/app', tag: 'V1_x.Y-z' }],
    ['app:_x', { domain: 'docker.io', path: 'library/app', tag: '_x' }],
    [`app:${'a'.repeat(128)}`, { domain: 'docker.io', path: 'library/app', tag: 'a'.repeat(128) }],
    // docker reads a lone host:port as a Docker Hub name with a tag.
    ['localhost:5000', { domain: 'docker.io', path: 'library/localhost', tag: '5000' }],
    [`example.com/${'a'.repeat(243)}`, { domain: 'example.com', path: 'a'.repeat(243) }],
  ];
  test.each(cases)('%s', (input, expected) => {
    expect(parseReference(input)).toEqual(expected);
  });
});

describe('parseReference: invalid references', () => {
  const cases: [string, RegExp][] = [
    ['', /empty/],
    ['nginx:', /ends with ":"/],
    ['nginx@', /ends with "@"/],
    ['Nginx', /lowercase/],
    ['nginx:-bad', /not a valid tag/],
    ['nginx:.bad', /not a valid tag/],
    [`nginx:${'a'.repeat(129)}`, /not a valid tag/],
    ['nginx@sha256:abc', /sha256/],
    [`nginx@md5:${'a'.repeat(32)}`, /unsupported digest algorithm/],
    [`nginx@${DIGEST}@${DIGEST}`, /digest/],
    ['a..b', /path component/],
    ['a.-b', /path component/],
    ['a___b', /path component/],
    ['-a', /path component/],
    ['a-', /path component/],
    ['_a', /path component/],
    ['a//b', /empty path component/],
    ['a/', /empty path component/],
    ['/a', /empty path component/],
    ['example.com/', /empty/],
    ['example.com:abc/app', /registry host/],
    ['-example.com/app', /registry host/],
    ['ex_ample.com/app', /registry host/],
    ['a'.repeat(64).replace(/a/g, 'f'), /image ID/],
    ['nginx latest', /whitespace/],
    [' nginx', /whitespace/],
    [`example.com/${'a'.repeat(244)}`, /longer than 255/],
    ['a:b:c', /path component/],
  ];
  test.each(cases)('%j', (input, problem) => {
    const err = errorOf(() => parseReference(input));
    expect(err.code).toBe('INVALID_REFERENCE');
    expect(err.message).toContain(`"${input}"`);
    expect(err.message).toMatch(problem);
    expect(err.hint).toBeTruthy();
  });

  test.each([
    ['Nginx', 'nginx'],
    ['MyOrg/App:V1', 'myorg/app:V1'],
    ['Quay.io/Org/App:V1', 'quay.io/org/app:V1'],
    [`localhost:5000/App@${DIGEST}`, `localhost:5000/app@${DIGEST}`],
  ])('uppercase %s suggests %s', (input, lowered) => {
    const err = errorOf(() => parseReference(input));
    expect(err.hint).toBe(`did you mean "${lowered}"?`);
    expect(parseReference(lowered).path).toBe(parseReference(lowered).path.toLowerCase());
  });
});
