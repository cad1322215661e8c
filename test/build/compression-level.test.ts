import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildOptions } from '../../src/build';
import { makeTempDir, removeTempDirs } from '../harness';
import { writeTree } from '../cli/build-helpers';
import { buildBeside } from './build-beside';

/**
 * `build({ compressionLevel })` (issue 13: compare with buildah at the same size): the level reaches the
 * layers, is reproducible, and is part of the keys a layer is reused by — another level recompresses, the same
 * level (or the default asked for by number) reuses, even after a config-only change above the COPY.
 */
let work: string;

beforeAll(async () => {
  work = await makeTempDir();
});
afterAll(removeTempDirs);

/** ~400 KB of YAML-like text, which gzip 1 and 9 compress to clearly different sizes. */
function yaml(seed: number): string {
  const lines: string[] = [];
  for (let i = 0; i < 8_000; i++) {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    lines.push(`  - name: app-${seed % 997}\n    replicas: ${seed % 13}`);
  }
  return `items:\n${lines.join('\n')}\n`;
}

async function context(name: string, kubefile = 'FROM scratch\nLABEL v=1\nCOPY . /app/\n'): Promise<string> {
  const dir = join(work, name, 'ctx');
  await writeTree(dir, { 'manifests/apps.yaml': yaml(7), 'etc/a.yaml': 'a: 1\n' });
  await writeFile(join(dir, '..', 'Kubefile'), kubefile);
  return dir;
}

const run = (dir: string, root: string, extra: Partial<BuildOptions> = {}) =>
  buildBeside(dir, join(work, root), extra);

const copyStep = (report: Awaited<ReturnType<typeof run>>) =>
  report.steps.find((s) => s.instruction.startsWith('COPY'));

describe('build: compression level', () => {
  it('level 1 twice → the same digest; level 1 vs 9 → different layers, level 1 larger', async () => {
    const dir = await context('repro');
    const a = await run(dir, 'repro-a', { compressionLevel: 1 });
    const b = await run(dir, 'repro-b', { compressionLevel: 1 });
    const nine = await run(dir, 'repro-c', { compressionLevel: 9 });
    expect(b.digest).toBe(a.digest);
    expect(copyStep(b)?.layer).toEqual(copyStep(a)?.layer);
    const one = copyStep(a)?.layer;
    const smaller = copyStep(nine)?.layer;
    expect(one?.digest).not.toBe(smaller?.digest);
    expect(one?.size).toBeGreaterThan(smaller?.size ?? Infinity);
    expect(nine.digest).not.toBe(a.digest);
  });

  it('another level misses the cache and recompresses; the same level reuses; 6 is the default', async () => {
    const dir = await context('keys');
    const byDefault = await run(dir, 'keys');
    const six = await run(dir, 'keys', { compressionLevel: 6 });
    expect(copyStep(six)).toMatchObject({ cached: true });
    expect(six.digest).toBe(byDefault.digest);

    const one = await run(dir, 'keys', { compressionLevel: 1 });
    expect(copyStep(one)).toMatchObject({ cached: false });
    expect(copyStep(one)?.layerReused).toBeUndefined();
    expect(copyStep(one)?.layer?.digest).not.toBe(copyStep(byDefault)?.layer?.digest);

    const again = await run(dir, 'keys', { compressionLevel: 1 });
    expect(copyStep(again)).toMatchObject({ cached: true });
    expect(again.digest).toBe(one.digest);

    // A config-only change above the COPY: the layer is found by its own key at level 1, not recompressed…
    await writeFile(join(dir, '..', 'Kubefile'), 'FROM scratch\nLABEL v=2\nCOPY . /app/\n');
    const relabelled = await run(dir, 'keys', { compressionLevel: 1 });
    expect(copyStep(relabelled)).toMatchObject({ cached: false, layerReused: true });
    expect(copyStep(relabelled)?.layer).toEqual(copyStep(one)?.layer);
    // …and at level 9, which no build made, it is compressed again.
    const nine = await run(dir, 'keys', { compressionLevel: 9 });
    expect(copyStep(nine)).toMatchObject({ cached: false });
    expect(copyStep(nine)?.layerReused).toBeUndefined();
    expect(copyStep(nine)?.layer?.digest).not.toBe(copyStep(one)?.layer?.digest);
  });

  it('zstd: 3 is the default, 19 is another layer', async () => {
    const dir = await context('zstd');
    const byDefault = await run(dir, 'zstd', { compression: 'zstd' });
    const three = await run(dir, 'zstd', { compression: 'zstd', compressionLevel: 3 });
    expect(copyStep(three)).toMatchObject({ cached: true });
    const nineteen = await run(dir, 'zstd', { compression: 'zstd', compressionLevel: 19 });
    expect(copyStep(nineteen)).toMatchObject({ cached: false });
    expect(copyStep(nineteen)?.layer?.size).toBeLessThan(copyStep(byDefault)?.layer?.size ?? 0);
  });

  it('refuses a level out of range before reading anything', async () => {
    const dir = await context('bad');
    await expect(run(dir, 'bad', { compressionLevel: 10 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'compressionLevel 10: gzip levels are 1 to 9',
    });
    await expect(run(dir, 'bad', { compression: 'none', compressionLevel: 1 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});
