import { describe, expect, it } from '@jest/globals';
import { formatByteSize, parseByteSize, unpackLimitsFromEnv } from '../../src/unpack';

describe('sizes on the command line and in the environment', () => {
  it.each([
    ['512', 512],
    ['64KiB', 64 * 1024],
    ['1k', 1024],
    ['10MB', 10_000_000],
    ['1.5G', 1.5 * 1024 ** 3],
    ['8GiB', 8 * 1024 ** 3],
    [' 2 mib ', 2 * 1024 ** 2],
  ])('%j is %d bytes', (text, bytes) => {
    expect(parseByteSize(text, '--max-unpack-size')).toBe(bytes);
  });

  it.each(['', '0', '-1', 'lots', '5 parsecs', '1e9'])('%j is refused, naming the flag', (text) => {
    expect(() => parseByteSize(text, '--max-download-size')).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: `--max-download-size: "${text}" is not a size`,
      }),
    );
  });

  it('formats caps for messages', () => {
    expect(formatByteSize(900)).toBe('900 bytes');
    expect(formatByteSize(1024 ** 2)).toBe('1 MiB');
    expect(formatByteSize(1.5 * 1024 ** 3)).toBe('1.5 GiB');
  });

  it('reads the KIMG_MAX_UNPACK_* caps, naming the variable when one is wrong', () => {
    expect(unpackLimitsFromEnv({ KIMG_MAX_UNPACK_SIZE: '1MiB', KIMG_MAX_UNPACK_DEPTH: '12' })).toEqual({
      maxBytes: 1024 ** 2,
      maxDepth: 12,
    });
    expect(() => unpackLimitsFromEnv({ KIMG_MAX_UNPACK_ENTRIES: 'many' })).toThrow(/KIMG_MAX_UNPACK_ENTRIES/);
  });
});
