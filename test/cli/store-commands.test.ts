import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeRandomImage, type FixtureImage } from '../fixtures/random-image';
import { kimg, kimgOk, makeTempDir, removeTempDirs, runOk } from '../harness';

let work: string;
let root: string;
let image: FixtureImage;

beforeAll(async () => {
  work = await makeTempDir();
  root = join(work, 'store');
  image = await writeRandomImage(join(work, 'layout'), { ref: 'app:1', layers: 2, seed: 60 });
  await runOk('tar', ['-C', join(work, 'layout'), '-cf', join(work, 'a.tar'), '.']);
  await kimgOk(['load', '-i', join(work, 'a.tar')], { root });
});
afterAll(removeTempDirs);

const names = async (): Promise<(string | undefined)[]> =>
  (JSON.parse((await kimgOk(['images', '--format', 'json'], { root })).stdout) as { name?: string }[]).map(
    (r) => r.name,
  );

describe('store commands', () => {
  it('loads short names normalized, as docker does', async () => {
    expect(await names()).toEqual(['docker.io/library/app:1']);
  });

  it('tag adds names; images lists one row per name; --quiet prints digests', async () => {
    await kimgOk(['tag', 'app:1', 'example.com/app:2', 'app:3'], { root });
    expect(await names()).toEqual([
      'docker.io/library/app:1',
      'docker.io/library/app:3',
      'example.com/app:2',
    ]);
    const quiet = await kimgOk(['images', '--quiet'], { root });
    expect(quiet.stdout.trim().split('\n')).toEqual([
      image.manifestDigest,
      image.manifestDigest,
      image.manifestDigest,
    ]);
  });

  it('inspect shows config, layers and platform; --raw prints the stored manifest bytes', async () => {
    const summary = JSON.parse((await kimgOk(['inspect', 'app:3'], { root })).stdout);
    expect(summary.digest).toBe(image.manifestDigest);
    expect(summary.platforms).toEqual(['linux/amd64']);
    expect(summary.config.labels).toEqual({ seed: '60' });
    expect(summary.layers.map((l: { digest: string }) => l.digest)).toEqual(
      image.layers.map((l) => l.digest),
    );
    const raw = await kimgOk(['inspect', '--raw', image.manifestDigest.slice(7, 19)], { root });
    const { createHash } = await import('node:crypto');
    expect(`sha256:${createHash('sha256').update(raw.stdout).digest('hex')}`).toBe(image.manifestDigest);
  });

  it('inspect reads other transports without loading them', async () => {
    const summary = JSON.parse(
      (await kimgOk(['inspect', `oci:${join(work, 'layout')}:app:1`], { root })).stdout,
    );
    expect(summary.digest).toBe(image.manifestDigest);
    const fromArchive = JSON.parse(
      (await kimgOk(['inspect', `oci-archive:${join(work, 'a.tar')}`], { root })).stdout,
    );
    expect(fromArchive.digest).toBe(image.manifestDigest);
  });

  it('rmi removes one name while others remain, then the image; prune frees its blobs', async () => {
    const first = await kimgOk(['rmi', 'app:3'], { root });
    expect(first.stdout).toContain('Untagged: docker.io/library/app:3');
    expect(first.stdout).not.toContain('Deleted');
    await kimgOk(['rmi', 'example.com/app:2'], { root });
    const last = await kimgOk(['rmi', 'app:1'], { root });
    expect(last.stdout).toContain(`Deleted: ${image.manifestDigest}`);
    expect(await names()).toEqual([]);
    expect(await readdir(join(root, 'blobs', 'sha256'))).toHaveLength(4);
    const pruned = JSON.parse((await kimgOk(['prune', '--format', 'json'], { root })).stdout);
    expect(pruned.removedBlobs).toHaveLength(4);
    expect(await readdir(join(root, 'blobs', 'sha256'))).toHaveLength(0);
  });

  it('errors: not found names the image and the way out; --debug adds the stack', async () => {
    const missing = await kimg(['rmi', 'ghost:1'], { root });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no image "docker.io/library/ghost:1"');
    expect(missing.stderr).toContain('kimg images');
    const debug = await kimg(['rmi', 'ghost:1', '--debug'], { root });
    expect(debug.stderr).toMatch(/\n\s+at /);
  });

  it('an empty store lists nothing and creates nothing', async () => {
    const empty = join(work, 'never-written');
    expect((await kimgOk(['images'], { root: empty })).stdout.trim()).toBe(
      'NAME   DIGEST   CREATED   SIZE   PLATFORMS',
    );
    await expect(readdir(empty)).rejects.toThrow(/ENOENT/);
  });
});
