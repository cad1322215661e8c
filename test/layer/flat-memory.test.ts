import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { runOk } from '../harness';

const REGISTER = join(__dirname, '..', 'harness', 'ts-register.js');
const CHILD = join(__dirname, 'flat-memory-child.ts');
const MiB = 1024 * 1024;

/** Peak RSS growth of a child process writing one layer of `size` bytes (absolute numbers: bench/compress.ts). */
async function growth(size: number, kind: string): Promise<number> {
  const { stdout } = await runOk(
    process.execPath,
    ['--expose-gc', '-r', REGISTER, CHILD, String(size), kind],
    {
      env: { ...process.env, WORKERS: '2' },
    },
  );
  return (JSON.parse(stdout) as { growth: number }).growth;
}

/**
 * DESIGN.md: memory does not grow with blob size. The absolute growth is dominated by per-thread costs (a V8
 * isolate per deflate worker, and V8 collecting dead buffers lazily), so the test asserts the property itself:
 * four times the data, (nearly) the same peak.
 */
describe('writeLayer memory', () => {
  it.each(['gzip', 'zstd'])('does not grow with the layer size (%s, 64 vs 256 MiB)', async (kind) => {
    const small = await growth(64 * MiB, kind);
    const large = await growth(256 * MiB, kind);
    expect(large - small).toBeLessThan(32 * MiB);
  });
});
