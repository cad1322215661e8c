import { afterAll, describe, expect, it } from '@jest/globals';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeRandomImage } from '../fixtures/random-image';
import { startDockerd } from './dockerd';
import { run } from './run';
import { makeTempDir, removeTempDirs } from './temp';

afterAll(removeTempDirs);

describe('test harness', () => {
  it('generates a deterministic random image that skopeo accepts as an OCI layout', async () => {
    const a = await makeTempDir();
    const b = await makeTempDir();
    const first = await writeRandomImage(a, { ref: 'x', seed: 7 });
    const second = await writeRandomImage(b, { ref: 'x', seed: 7 });
    expect(first.manifestDigest).toBe(second.manifestDigest);
    const inspect = await run('skopeo', ['inspect', `oci:${a}:x`]);
    expect(inspect.stderr).toBe('');
    expect(JSON.parse(inspect.stdout).Layers).toEqual(first.layers.map((l) => l.digest));
    expect(await readdir(join(a, 'blobs', 'sha256'))).toHaveLength(4);
    expect(JSON.parse(await readFile(join(a, 'index.json'), 'utf8')).manifests).toHaveLength(1);
  });

  it('starts and stops a private dockerd', async () => {
    const dockerd = await startDockerd();
    try {
      const info = await dockerd.docker.info();
      expect(info.Driver).toBe('vfs');
    } finally {
      await dockerd.stop();
    }
  }, 90_000);
});
