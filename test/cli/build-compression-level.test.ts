import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { kimg, kimgOk, makeTempDir, removeTempDirs } from '../harness';
import { writeTree } from './build-helpers';

/**
 * `kimg build --compression-level N` (issue 13: a build compared with buildah at the same size chooses its
 * level, as `buildah push --compression-level` does): parsed by the CLI, refused with exit 2 when out of range.
 */
let work: string;
let context: string;

beforeAll(async () => {
  work = await makeTempDir();
  context = join(work, 'ctx');
  const lines = Array.from(
    { length: 8_000 },
    (_, i) => `  - name: app-${(i * 7919) % 1009}\n    port: ${i % 97}`,
  );
  await writeTree(context, {
    Kubefile: 'FROM scratch\nCOPY manifests /manifests/\n',
    'manifests/apps.yaml': `items:\n${lines.join('\n')}\n`,
  });
});
afterAll(removeTempDirs);

type Report = { digest: string; steps: { cached: boolean; layer?: { digest: string; size: number } }[] };

async function buildJson(root: string, args: string[]): Promise<Report> {
  const { stdout } = await kimgOk(
    ['build', '--format', 'json', '--platform', 'linux/amd64', '-t', 't:1', ...args, context],
    { root: join(work, root) },
  );
  return JSON.parse(stdout) as Report;
}

describe('kimg build --compression-level', () => {
  it('level 1 twice → the same digest; level 9 → a smaller layer; a rebuild at 9 reuses it', async () => {
    const a = await buildJson('a', ['--compression-level', '1']);
    const b = await buildJson('b', ['--compression-level', '1']);
    expect(b.digest).toBe(a.digest);
    const nine = await buildJson('a', ['--compression-level', '9']);
    expect(nine.steps[0]).toMatchObject({ cached: false });
    expect(nine.steps[0]?.layer?.size).toBeLessThan(a.steps[0]?.layer?.size ?? 0);
    const again = await buildJson('a', ['--compression-level', '9']);
    expect(again.steps[0]).toMatchObject({ cached: true });
    expect(again.digest).toBe(nine.digest);
  });

  it.each([
    [['--compression-level', '10'], '--compression-level 10: gzip levels are 1 to 9'],
    [['--compression-level', 'best'], '--compression-level best: gzip levels are 1 to 9'],
    [['--compression', 'zstd', '--compression-level', '0'], '--compression-level 0: zstd levels are 1 to 22'],
    [
      ['--compression', 'none', '--compression-level', '5'],
      '--compression-level 5: none layers are not compressed',
    ],
  ])('refuses %j with exit 2, naming the flag, value and range', async (args, message) => {
    const result = await kimg(['build', '-t', 't:1', ...args, context], { root: join(work, 'bad') });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});
