import { digestOf, encodedPart, isDigest, parseDigest } from '../../src/digest';
import { isKimgError } from '../../src/errors';

const SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'; // sha256 of ""

describe('parseDigest', () => {
  test.each([
    [`sha256:${SHA256}`, 'sha256', SHA256],
    [`sha512:${'0'.repeat(128)}`, 'sha512', '0'.repeat(128)],
  ])('%s', (value, algorithm, encoded) => {
    expect(parseDigest(value)).toEqual({ algorithm, encoded });
  });

  test.each([
    [''],
    ['sha256'],
    ['sha256:'],
    [SHA256],
    [`sha256:${SHA256.slice(1)}`],
    [`sha256:${SHA256}0`],
    [`sha256:${SHA256.toUpperCase()}`],
    [`sha256:${SHA256.slice(1)}g`],
    [`SHA256:${SHA256}`],
    [`md5:${'0'.repeat(32)}`],
    [`sha384:${'0'.repeat(96)}`],
    [`sha512:${SHA256}`],
    [` sha256:${SHA256}`],
  ])('%j is DIGEST_INVALID with a hint', (value) => {
    let caught: unknown;
    try {
      parseDigest(value);
    } catch (err) {
      caught = err;
    }
    expect(isKimgError(caught, 'DIGEST_INVALID')).toBe(true);
    expect(isKimgError(caught) && caught.hint).toBeTruthy();
    expect(isDigest(value)).toBe(false);
  });
});

describe('digestOf and encodedPart', () => {
  test('sha256 of the empty string is the well-known value', () => {
    expect(digestOf('')).toBe(`sha256:${SHA256}`);
    expect(digestOf(new Uint8Array())).toBe(`sha256:${SHA256}`);
  });
  test('sha512 on request', () => {
    expect(digestOf('abc', 'sha512')).toMatch(/^sha512:ddaf35a193617aba/);
  });
  test('encodedPart is the hex after the colon', () => {
    expect(encodedPart(`sha256:${SHA256}`)).toBe(SHA256);
    expect(() => encodedPart('sha256:x')).toThrow(expect.objectContaining({ code: 'DIGEST_INVALID' }));
  });
});
