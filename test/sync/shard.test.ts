import { describe, expect, it } from '@jest/globals';
import { isKimgError } from '../../src/errors';
import { parseShard, shardOf } from '../../src/sync';

describe('--shard', () => {
  it('hashes an image name the same way everywhere (SHA-256, first 48 bits, mod N)', () => {
    // Pinned: pods of different kimg versions must agree (sha256("quay.io/org/app:1") = c6b9baae8fc3…,
    // 0xc6b9baae8fc3 mod 7 = 1).
    expect(shardOf('quay.io/org/app:1', 7)).toBe(1);
    expect(shardOf('docker.io/library/nginx:1.27', 3)).toBe(0);
    expect(shardOf('registry.example.com/app-0:v1', 1000)).toBe(141);
    const names = Array.from({ length: 300 }, (_, i) => `registry.example.com/app-${i}:v1`);
    const counts = [0, 0, 0];
    for (const name of names) counts[shardOf(name, 3)]! += 1;
    for (const count of counts) expect(count).toBeGreaterThan(70); // about a third each
  });

  it('reads I/N and auto/N (JOB_COMPLETION_INDEX), and refuses what is not a shard', () => {
    expect(parseShard('2/5')).toEqual({ index: 2, count: 5 });
    expect(parseShard('auto/4', { JOB_COMPLETION_INDEX: '3' })).toEqual({ index: 3, count: 4 });
    for (const [text, env] of [
      ['3/3', {}],
      ['x/3', {}],
      ['0/0', {}],
      ['auto/3', {}],
      ['auto/3', { JOB_COMPLETION_INDEX: 'one' }],
    ] as const) {
      let refused = false;
      try {
        parseShard(text, env);
      } catch (err) {
        refused = isKimgError(err, 'INVALID_ARGUMENT');
      }
      expect({ text, refused }).toEqual({ text, refused: true });
    }
  });
});
