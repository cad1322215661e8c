import { afterAll, describe, expect, it } from '@jest/globals';
import { utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { kimgOk, makeTempDir, removeTempDirs, runOk } from '../harness';
import { readJson, rootOf } from './build-helpers';

afterAll(removeTempDirs);

/** Issue 5: "mtime from SOURCE_DATE_EPOCH or 0 unless --timestamp/--preserve-mtime". */
describe('kimg build --preserve-mtime', () => {
  it('keeps file mtimes in COPY layers only when asked, and then keys the cache on them', async () => {
    const work = await makeTempDir();
    const root = join(work, 'store');
    await writeFile(join(work, 'Kubefile'), 'FROM scratch\nCOPY a.txt /a.txt\n');
    await writeFile(join(work, 'a.txt'), 'hello\n');
    const july2021 = new Date('2021-07-01T12:00:00Z');
    await utimes(join(work, 'a.txt'), july2021, july2021);

    const layerListing = async (name: string): Promise<string> => {
      const manifest = await readJson<{ layers: { digest: string }[] }>(
        root,
        (await rootOf(root, name)).digest,
      );
      const blob = join(root, 'blobs', 'sha256', manifest.layers[0]!.digest.slice(7));
      return (await runOk('tar', ['--full-time', '--utc', '-tvzf', blob])).stdout;
    };

    await kimgOk(['build', '-t', 'mtime:plain', work], { root });
    expect(await layerListing('docker.io/library/mtime:plain')).toContain('1970-01-01 00:00:00 a.txt');

    await kimgOk(['build', '--preserve-mtime', '-t', 'mtime:kept', work], { root });
    expect(await layerListing('docker.io/library/mtime:kept')).toContain('2021-07-01 12:00:00 a.txt');

    // Only the mtime changes: with --preserve-mtime that is new layer content, so the step is not cached.
    const august2021 = new Date('2021-08-01T12:00:00Z');
    await utimes(join(work, 'a.txt'), august2021, august2021);
    const report = JSON.parse(
      (await kimgOk(['build', '--preserve-mtime', '--format', 'json', '-t', 'mtime:kept2', work], { root }))
        .stdout,
    ) as { steps: { instruction?: string; text?: string; cached: boolean }[] };
    const copy = report.steps.find((s) => JSON.stringify(s).includes('COPY'));
    expect(copy?.cached).toBe(false);
    expect(await layerListing('docker.io/library/mtime:kept2')).toContain('2021-08-01 12:00:00 a.txt');
    // Without the flag the same change is invisible: everything cached, same image.
    const plain = JSON.parse(
      (await kimgOk(['build', '--format', 'json', '-t', 'mtime:plain2', work], { root })).stdout,
    ) as {
      steps: { cached: boolean }[];
    };
    expect(plain.steps.every((s) => s.cached)).toBe(true);
  });
});
