import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeRandomImage, type FixtureImage } from '../fixtures/random-image';
import { kimg, kimgOk, makeTempDir, removeTempDirs, REPO_ROOT, runOk } from '../harness';

/**
 * The store under concurrent and interrupted writers, checked through the CLI and with umoci, which reads the
 * store as a plain OCI layout.
 */
let work: string;

beforeAll(async () => {
  work = await makeTempDir();
});
afterAll(removeTempDirs);

async function archiveOf(
  name: string,
  options: Parameters<typeof writeRandomImage>[1],
): Promise<{ file: string; image: FixtureImage }> {
  const layout = join(work, name);
  const image = await writeRandomImage(layout, options);
  const file = join(work, `${name}.tar`);
  await runOk('tar', ['-C', layout, '-cf', file, '.']);
  return { file, image };
}

async function expectUmociUnpacks(root: string, name: string, image: FixtureImage): Promise<void> {
  const bundle = join(work, `bundle-${Math.random().toString(36).slice(2)}`);
  await runOk('umoci', ['unpack', '--rootless', '--image', `${root}:${name}`, bundle]);
  for (const [path, content] of image.files) {
    expect((await readFile(join(bundle, 'rootfs', path))).equals(content)).toBe(true);
  }
}

describe('the local store as an OCI layout', () => {
  it('umoci unpacks a loaded image and the files equal the source files', async () => {
    const root = join(work, 'umoci-store');
    const { file, image } = await archiveOf('umoci', {
      ref: 'example.com/unpack/me:2',
      layers: 3,
      filesPerLayer: 4,
      seed: 31,
    });
    await kimgOk(['load', '-i', file], { root });
    await expectUmociUnpacks(root, 'example.com/unpack/me:2', image);
  });

  it('8 processes loading and tagging at once lose no index entry', async () => {
    const root = join(work, 'concurrent-store');
    const base = await archiveOf('base', { ref: 'example.com/base:1', seed: 40 });
    await kimgOk(['load', '-i', base.file], { root });
    const archives = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        archiveOf(`c${i}`, { ref: `example.com/concurrent/${i}:1`, seed: 100 + i, layers: 2 }),
      ),
    );
    const results = await Promise.all([
      ...archives.map((a) => kimg(['load', '-i', a.file], { root })),
      ...archives.map((_, i) => kimg(['tag', 'example.com/base:1', `example.com/tagged/${i}:1`], { root })),
    ]);
    for (const result of results) expect(result.stderr).toBe('');
    const names = (
      JSON.parse((await kimgOk(['images', '--format', 'json'], { root })).stdout) as { name?: string }[]
    ).map((r) => r.name);
    for (let i = 0; i < 8; i++) {
      expect(names).toContain(`example.com/concurrent/${i}:1`);
      expect(names).toContain(`example.com/tagged/${i}:1`);
    }
    expect(names).toHaveLength(17);
  });

  it('a load killed with SIGKILL at any moment leaves a store kimg and umoci read (10 runs)', async () => {
    const root = join(work, 'killed-store');
    const base = await archiveOf('kill-base', { ref: 'example.com/kill/base:1', seed: 50 });
    await kimgOk(['load', '-i', base.file], { root });
    // Big enough (≈48 MiB, uncompressed layers) that a kill lands in the middle of the copy.
    const big = await archiveOf('kill-big', {
      ref: 'example.com/kill/big:1',
      seed: 51,
      layers: 4,
      filesPerLayer: 3,
      fileSize: 4 << 20,
      compression: 'none',
    });
    let interruptedMidWrite = 0;
    for (let run = 0; run < 10; run++) {
      const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'kimg'), 'load', '-i', big.file], {
        env: { ...process.env, KIMG_ROOT: root },
        stdio: 'ignore',
      });
      let running = true;
      const exited = new Promise<void>((resolve) =>
        child.on('exit', () => {
          running = false;
          resolve();
        }),
      );
      // Kill once the load is staging blobs (its ingest dir exists), a little later on each run, so kills land
      // at different points of the write whatever the machine's load — a fixed delay would often only hit start-up.
      const ingest = join(root, '.kimg', 'ingest');
      const before = new Set(await readdir(ingest).catch(() => []));
      while (running && (await readdir(ingest).catch(() => [])).every((name) => before.has(name))) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await new Promise((resolve) => setTimeout(resolve, run * 15));
      const killedWhileRunning = running;
      child.kill('SIGKILL');
      await exited;
      if (killedWhileRunning && (await readdir(ingest).catch(() => [])).some((name) => !before.has(name))) {
        interruptedMidWrite++;
      }
      const images = await kimg(['images', '--format', 'json'], { root });
      expect(images.stderr).toBe('');
      const names = (JSON.parse(images.stdout) as { name?: string }[]).map((r) => r.name);
      expect(names).toContain('example.com/kill/base:1');
      await runOk('umoci', ['ls', '--layout', root]);
      // If the big image made it into index.json it must be whole: fully readable by kimg.
      if (names.includes('example.com/kill/big:1'))
        await kimgOk(['inspect', 'example.com/kill/big:1'], { root });
    }
    await expectUmociUnpacks(root, 'example.com/kill/base:1', base.image);
    // After the storm: a clean load works and prune clears what the killed runs left in .kimg/ingest.
    await kimgOk(['load', '-i', big.file], { root });
    await expectUmociUnpacks(root, 'example.com/kill/big:1', big.image);
    await kimgOk(['prune'], { root });
    expect(await readdir(join(root, '.kimg', 'ingest')).catch(() => [])).toEqual([]);
    expect(interruptedMidWrite).toBeGreaterThan(0);
  }, 180_000);
});
