import { isKimgError, type KimgError } from '../../src/errors';
import { formatImageLocation, parseImageLocation, type ImageLocation } from '../../src/reference';

const HEX = 'c'.repeat(64);
const DIGEST = `sha256:${HEX}`;
const nginx = (tag = 'latest') => ({ domain: 'docker.io', path: 'library/nginx', tag });

function errorOf(fn: () => unknown): KimgError {
  try {
    fn();
  } catch (err) {
    if (isKimgError(err)) return err;
    throw err;
  }
  throw new Error('expected a KimgError, nothing was thrown');
}

describe('parseImageLocation', () => {
  const cases: [string, ImageLocation, string][] = [
    ['nginx', { transport: 'store', reference: nginx() }, 'docker.io/library/nginx:latest'],
    ['nginx:1', { transport: 'store', reference: nginx('1') }, 'docker.io/library/nginx:1'],
    [
      'localhost:5000/app',
      { transport: 'store', reference: { domain: 'localhost:5000', path: 'app', tag: 'latest' } },
      'localhost:5000/app:latest',
    ],
    [DIGEST, { transport: 'store', id: DIGEST }, DIGEST],
    [HEX, { transport: 'store', id: DIGEST }, DIGEST],
    [
      'cafe12',
      {
        transport: 'store',
        reference: { domain: 'docker.io', path: 'library/cafe12', tag: 'latest' },
        idPrefix: 'cafe12',
      },
      'cafe12',
    ],
    [
      'docker://nginx',
      { transport: 'docker', reference: nginx() },
      'docker://docker.io/library/nginx:latest',
    ],
    [
      'docker://quay.io/a/b:1',
      { transport: 'docker', reference: { domain: 'quay.io', path: 'a/b', tag: '1' } },
      'docker://quay.io/a/b:1',
    ],
    [
      `docker://nginx@${DIGEST}`,
      { transport: 'docker', reference: { domain: 'docker.io', path: 'library/nginx', digest: DIGEST } },
      `docker://docker.io/library/nginx@${DIGEST}`,
    ],
    ['oci:/tmp/layout', { transport: 'oci', dir: '/tmp/layout' }, 'oci:/tmp/layout'],
    ['oci:/tmp/layout:app', { transport: 'oci', dir: '/tmp/layout', ref: 'app' }, 'oci:/tmp/layout:app'],
    // The path ends at the first ':'; the rest, colons included, is the OCI ref name.
    [
      'oci:layout:example.com/app:v1',
      { transport: 'oci', dir: 'layout', ref: 'example.com/app:v1' },
      'oci:layout:example.com/app:v1',
    ],
    ['oci-archive:a.tar', { transport: 'oci-archive', file: 'a.tar' }, 'oci-archive:a.tar'],
    [
      'oci-archive:/x/a.tar:1.0',
      { transport: 'oci-archive', file: '/x/a.tar', ref: '1.0' },
      'oci-archive:/x/a.tar:1.0',
    ],
    ['docker-archive:a.tar', { transport: 'docker-archive', file: 'a.tar' }, 'docker-archive:a.tar'],
    [
      'docker-archive:a.tar:nginx',
      { transport: 'docker-archive', file: 'a.tar', ref: { kind: 'name', reference: nginx() } },
      'docker-archive:a.tar:docker.io/library/nginx:latest',
    ],
    [
      'docker-archive:a.tar:@2',
      { transport: 'docker-archive', file: 'a.tar', ref: { kind: 'index', index: 2 } },
      'docker-archive:a.tar:@2',
    ],
    [
      'docker-daemon:nginx:1',
      { transport: 'docker-daemon', reference: nginx('1') },
      'docker-daemon:docker.io/library/nginx:1',
    ],
    [
      'docker-daemon:nginx',
      { transport: 'docker-daemon', reference: nginx() },
      'docker-daemon:docker.io/library/nginx:latest',
    ],
    [`docker-daemon:${DIGEST}`, { transport: 'docker-daemon', id: DIGEST }, `docker-daemon:${DIGEST}`],
    [
      'registry-dir:/srv/registry',
      { transport: 'registry-dir', dir: '/srv/registry' },
      'registry-dir:/srv/registry',
    ],
    [
      'registry-dir:reg:quay.io/a/b:1',
      { transport: 'registry-dir', dir: 'reg', ref: { domain: 'quay.io', path: 'a/b', tag: '1' } },
      'registry-dir:reg:quay.io/a/b:1',
    ],
    // A known prefix wins over a store name that looks the same (skopeo reads it the same way).
    ['oci:latest', { transport: 'oci', dir: 'latest' }, 'oci:latest'],
  ];
  test.each(cases)('%s', (input, expected, formatted) => {
    const location = parseImageLocation(input);
    expect(location).toEqual(expected);
    expect(formatImageLocation(location)).toBe(formatted);
    expect(parseImageLocation(formatted)).toEqual(expected);
  });
});

describe('parseImageLocation: errors', () => {
  test.each([
    ['xyz://foo'],
    ['http://registry/app'],
    ['https://registry/app'],
    ['dir:/tmp/x'],
    ['containers-storage:nginx:bad tag'],
  ])('%s is an unknown transport with a hint listing ours', (input) => {
    const err = errorOf(() => parseImageLocation(input));
    expect(err.code).toBe('UNKNOWN_TRANSPORT');
    expect(err.message).toContain(input);
    expect(err.hint).toMatch(
      /docker:\/\/REF.*oci:DIR.*oci-archive:FILE.*docker-archive:FILE.*docker-daemon:REF.*registry-dir:DIR/,
    );
  });

  test.each([
    ['docker:nginx', /docker:\/\//],
    ['docker://', /no reference/],
    ['docker://Nginx', /lowercase/],
    ['oci:', /no DIR/],
    ['oci::app', /no DIR/],
    ['oci:/tmp/x:', /no REF/],
    ['oci:/tmp/x:bad ref', /OCI ref name/],
    ['oci:/tmp/x:-app', /OCI ref name/],
    ['oci-archive:', /no FILE/],
    ['docker-archive:a.tar:@x', /image index/],
    ['docker-archive:a.tar:@-1', /image index/],
    [`docker-archive:a.tar:nginx@${DIGEST}`, /not by digest/],
    ['docker-daemon:', /no reference/],
    [`docker-daemon:nginx:1@${DIGEST}`, /tag and a digest/],
    ['registry-dir:', /no DIR/],
    ['sha256:abcd', /64 hex/],
    ['nginx:', /ends with ":"/],
    ['', /empty/],
  ])('%s', (input, problem) => {
    const err = errorOf(() => parseImageLocation(input));
    expect(err.code).toBe('INVALID_REFERENCE');
    expect(err.message).toMatch(problem);
    expect(err.hint).toBeTruthy();
  });

  test('docker: without // suggests the right spelling', () => {
    expect(errorOf(() => parseImageLocation('docker:nginx')).hint).toBe('did you mean "docker://nginx"?');
  });

  test('a store name that merely starts like a foreign transport stays a name', () => {
    expect(parseImageLocation('dir:1')).toEqual({
      transport: 'store',
      reference: { domain: 'docker.io', path: 'library/dir', tag: '1' },
    });
  });
});
