import {
  familiarName,
  formatReference,
  normalizeName,
  parseReference,
  repositoryName,
  withDefaultTag,
} from '../../src/reference';

const DIGEST = `sha256:${'b'.repeat(64)}`;

describe('formatReference', () => {
  test.each([
    ['nginx', 'docker.io/library/nginx'],
    ['nginx:latest', 'docker.io/library/nginx:latest'],
    [`nginx@${DIGEST}`, `docker.io/library/nginx@${DIGEST}`],
    [`nginx:1@${DIGEST}`, `docker.io/library/nginx:1@${DIGEST}`],
    ['localhost:5000/a/b:c', 'localhost:5000/a/b:c'],
    ['[::1]:5000/app', '[::1]:5000/app'],
  ])('%s → %s, which parses back to the same reference', (input, full) => {
    const ref = parseReference(input);
    expect(formatReference(ref)).toBe(full);
    expect(parseReference(full)).toEqual(ref);
  });
});

describe('familiarName', () => {
  test.each([
    ['docker.io/library/nginx:latest', 'nginx:latest'],
    ['index.docker.io/library/nginx', 'nginx'],
    ['docker.io/user/app:1', 'user/app:1'],
    ['docker.io/library/a/b:1', 'library/a/b:1'],
    ['quay.io/library/nginx:1', 'quay.io/library/nginx:1'],
    ['localhost/app', 'localhost/app'],
    [`nginx@${DIGEST}`, `nginx@${DIGEST}`],
  ])('%s → %s', (input, familiar) => {
    const ref = parseReference(input);
    expect(familiarName(ref)).toBe(familiar);
    expect(parseReference(familiar)).toEqual(ref);
  });
});

describe('repositoryName', () => {
  test.each([
    ['nginx:1', 'docker.io/library/nginx'],
    [`quay.io/a/b:1@${DIGEST}`, 'quay.io/a/b'],
  ])('%s → %s', (input, repository) => {
    expect(repositoryName(parseReference(input))).toBe(repository);
  });
});

describe('withDefaultTag', () => {
  test('adds latest to a bare name', () => {
    expect(withDefaultTag(parseReference('nginx')).tag).toBe('latest');
  });
  test('keeps an existing tag', () => {
    expect(withDefaultTag(parseReference('nginx:1')).tag).toBe('1');
  });
  test('adds no tag when a digest is given', () => {
    expect(withDefaultTag(parseReference(`nginx@${DIGEST}`))).toEqual({
      domain: 'docker.io',
      path: 'library/nginx',
      digest: DIGEST,
    });
  });
  test('does not modify its argument', () => {
    const ref = parseReference('nginx');
    withDefaultTag(ref);
    expect(ref.tag).toBeUndefined();
  });
});

describe('normalizeName', () => {
  test.each([
    ['nginx', 'docker.io/library/nginx:latest'],
    ['user/app', 'docker.io/user/app:latest'],
    ['index.docker.io/nginx:1', 'docker.io/library/nginx:1'],
    ['registry:5000/app', 'registry:5000/app:latest'],
    [`nginx@${DIGEST}`, `docker.io/library/nginx@${DIGEST}`],
  ])('%s → %s', (input, normal) => {
    expect(normalizeName(input)).toBe(normal);
  });
  test('throws INVALID_REFERENCE on a bad name', () => {
    expect(() => normalizeName('Bad')).toThrow(expect.objectContaining({ code: 'INVALID_REFERENCE' }));
  });
});
