import { describe, expect, it } from '@jest/globals';
import { KimgError } from '../../src/errors';
import { DEFAULT_MAX_JSON_DEPTH, jsonNestsDeeper, parseBoundedJson } from '../../src/manifest';

const options = {
  what: 'doc',
  maxBytes: 8 * 1024 * 1024,
  invalid: (message: string) => new KimgError('MANIFEST_INVALID', message),
};

describe('JSON bounds', () => {
  it('measures nesting without counting brackets inside strings', () => {
    expect(jsonNestsDeeper('{"a":[{"b":[]}]}', 4)).toBe(false);
    expect(jsonNestsDeeper('{"a":[{"b":[[]]}]}', 4)).toBe(true);
    expect(jsonNestsDeeper('{"a":"[[[[[[\\"[[[["}', 1)).toBe(false);
    expect(jsonNestsDeeper('{"a":"\\\\"}', 1)).toBe(false);
    expect(jsonNestsDeeper('{"a":"\\\\",  "b":[[1]]}', 2)).toBe(true);
  });

  it('accepts the limit and refuses one level more, naming the limit and the variable', () => {
    const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
    expect(parseBoundedJson(nested(DEFAULT_MAX_JSON_DEPTH), options)).toBeDefined();
    expect(() => parseBoundedJson(nested(DEFAULT_MAX_JSON_DEPTH + 1), options)).toThrow(
      expect.objectContaining({
        code: 'SIZE_LIMIT',
        message: 'doc nests JSON more than 128 levels deep, over the 128-level limit',
        hint: expect.stringContaining('KIMG_MAX_JSON_DEPTH'),
      }),
    );
  });

  it('scans 1.5 million levels in linear time, without recursion', () => {
    const started = Date.now();
    expect(() => parseBoundedJson(`${'['.repeat(1_500_000)}${']'.repeat(1_500_000)}`, options)).toThrow(
      /over the 128-level limit/,
    );
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('checks size before anything else, and reports bad JSON with the caller’s code', () => {
    expect(() => parseBoundedJson('[1]', { ...options, maxBytes: 2 })).toThrow(
      /3 bytes, over the 2-byte limit/,
    );
    expect(() => parseBoundedJson('{', options)).toThrow(
      expect.objectContaining({ code: 'MANIFEST_INVALID' }),
    );
  });
});
