import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeMultiArchLayout, type MultiArchFixture } from '../fixtures/multi-arch';
import { writeRandomImage, type FixtureImage } from '../fixtures/random-image';
import {
  kimg,
  kimgOk,
  makeTempDir,
  removeTempDirs,
  runOk,
  startDockerd,
  startRegistry,
  treeHash,
  type RunningDockerd,
} from '../harness';

/**
 * `kimg copy` / `pull` / `push` between the places an image lives, checked with the real peers: skopeo reads
 * what we write, dockerd loads it, docker-registry serves our registry-dir.
 */
let work: string;
let root: string;
let image: FixtureImage;
let multi: MultiArchFixture;
let dockerd: RunningDockerd;

const sha256 = (data: string | Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

beforeAll(async () => {
  work = await makeTempDir();
  root = join(work, 'store');
  image = await writeRandomImage(join(work, 'layout'), { ref: 'app', layers: 3, seed: 70 });
  multi = await writeMultiArchLayout(join(work, 'multi'), 'multi', 80);
  dockerd = await startDockerd();
}, 120_000);

afterAll(async () => {
  await dockerd?.stop();
  await removeTempDirs();
});

async function inspect(ref: string): Promise<{
  digest: string;
  diffIds?: string[];
  platforms: string[];
  manifests?: { absent?: boolean; platforms: string[] }[];
}> {
  return JSON.parse((await kimgOk(['inspect', ref], { root, env: { DOCKER_HOST: dockerd.host } })).stdout);
}

describe('kimg copy across transports', () => {
  it('round trip oci → store → oci-archive → docker-archive → docker-daemon → registry-dir keeps the diff IDs', async () => {
    const env = { DOCKER_HOST: dockerd.host };
    const hops = [
      `oci:${join(work, 'layout')}:app`,
      'example.com/rt/app:1',
      `oci-archive:${join(work, 'rt.oci.tar')}:example.com/rt/app:1`,
      `docker-archive:${join(work, 'rt.docker.tar')}:example.com/rt/app:1`,
      'docker-daemon:example.com/rt/app:1',
      `registry-dir:${join(work, 'regdir')}:example.com/rt/app:1`,
    ];
    for (let i = 1; i < hops.length; i++) {
      await kimgOk(['copy', hops[i - 1] as string, hops[i] as string], { root, env });
      expect((await inspect(hops[i] as string)).diffIds).toEqual(image.layers.map((l) => l.diffId));
    }
    // Where the format holds the manifest, its digest is unchanged.
    for (const hop of hops.slice(0, 3)) expect((await inspect(hop)).digest).toBe(image.manifestDigest);
    // The real registry serves what kimg wrote into its storage.
    const registry = await startRegistry({ storageDir: join(work, 'regdir') });
    try {
      const served = await runOk('skopeo', [
        'inspect',
        '--tls-verify=false',
        `docker://${registry.host}/rt/app:1`,
      ]);
      const docker = await inspect('docker-daemon:example.com/rt/app:1');
      expect(JSON.parse(served.stdout).Digest).toBe(docker.digest);
    } finally {
      await registry.stop();
    }
  }, 120_000);

  it('--format json prints a summary; a second copy skips everything', async () => {
    const first = JSON.parse(
      (
        await kimgOk(
          ['copy', `oci:${join(work, 'layout')}:app`, `oci:${join(work, 'copy2')}:x`, '--format', 'json'],
          { root },
        )
      ).stdout,
    );
    expect(first).toMatchObject({ digest: image.manifestDigest, blobsCopied: 5, blobsSkipped: 0 });
    const again = JSON.parse(
      (
        await kimgOk(
          ['copy', `oci:${join(work, 'layout')}:app`, `oci:${join(work, 'copy2')}:x`, '--format', 'json'],
          { root },
        )
      ).stdout,
    );
    expect(again).toMatchObject({ digest: image.manifestDigest, blobsCopied: 0, blobsSkipped: 1 });
  });

  it('plain progress lines when stderr is not a TTY; --quiet prints only the digest', async () => {
    const loud = await kimgOk(['copy', `oci:${join(work, 'layout')}:app`, `oci:${join(work, 'copy3')}:x`], {
      root,
    });
    expect(loud.stderr).toMatch(/^Copied {2}sha256:[0-9a-f]{12}/m);
    const quiet = await kimgOk(
      ['copy', '--quiet', `oci:${join(work, 'layout')}:app`, `oci:${join(work, 'copy4')}:x`],
      { root },
    );
    expect(quiet.stderr).toBe('');
    expect(quiet.stdout.trim()).toBe(image.manifestDigest);
  });

  it('--format v2s2 converts (new digest reported, same config and layers); --format oci converts back to the original bytes', async () => {
    const v2 = JSON.parse(
      (
        await kimgOk(
          [
            'copy',
            '--format',
            'v2s2',
            '--format',
            'json',
            `oci:${join(work, 'layout')}:app`,
            `oci:${join(work, 'v2')}:x`,
          ],
          { root },
        )
      ).stdout,
    );
    expect(v2.digest).not.toBe(image.manifestDigest);
    const raw = JSON.parse(
      (await kimgOk(['inspect', '--raw', `oci:${join(work, 'v2')}:x`], { root })).stdout,
    );
    expect(raw.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(raw.config).toMatchObject({
      mediaType: 'application/vnd.docker.container.image.v1+json',
      digest: image.configDigest,
    });
    expect(raw.layers.map((l: { digest: string }) => l.digest)).toEqual(image.layers.map((l) => l.digest));
    // A peer agrees: the real registry serves it as schema 2 and dockerd loads it.
    await kimgOk(['copy', `oci:${join(work, 'v2')}:x`, `registry-dir:${join(work, 'v2dir')}:v2/app:1`], {
      root,
    });
    const registry = await startRegistry({ storageDir: join(work, 'v2dir') });
    try {
      const served = await runOk('skopeo', [
        'inspect',
        '--raw',
        '--tls-verify=false',
        `docker://${registry.host}/v2/app:1`,
      ]);
      expect(sha256(served.stdout)).toBe(v2.digest);
      expect(JSON.parse(served.stdout).mediaType).toBe(
        'application/vnd.docker.distribution.manifest.v2+json',
      );
    } finally {
      await registry.stop();
    }
    const back = JSON.parse(
      (
        await kimgOk(
          [
            'copy',
            '--format',
            'oci',
            '--format',
            'json',
            `oci:${join(work, 'v2')}:x`,
            `oci:${join(work, 'back')}:x`,
          ],
          { root },
        )
      ).stdout,
    );
    expect(back.digest).toBe(image.manifestDigest);
  });
});

describe('platforms', () => {
  const layout = () => `oci:${join(work, 'multi')}:multi`;

  it('copy keeps the whole index by default', async () => {
    await kimgOk(['copy', layout(), 'example.com/multi:all'], { root });
    const summary = await inspect('example.com/multi:all');
    expect(summary.digest).toBe(multi.index.digest);
    expect(summary.platforms).toEqual(['linux/amd64', 'linux/arm64']);
  });

  it('pull takes the host platform: that image manifest alone, and says so', async () => {
    const pulled = await kimgOk(['pull', layout()], { root });
    expect(pulled.stderr).toContain(`copied the linux/amd64 image ${multi.children[0]?.manifestDigest}`);
    const untagged = JSON.parse((await kimgOk(['images', '--format', 'json'], { root })).stdout) as {
      name?: string;
      digest: string;
    }[];
    expect(untagged.find((r) => r.digest === multi.children[0]?.manifestDigest)).toBeDefined();
  });

  it('--platform with --keep-index keeps the index digest and copies only that child', async () => {
    await kimgOk(
      ['copy', '--platform', 'linux/arm64', '--keep-index', layout(), 'example.com/multi:sparse'],
      { root: join(work, 'sparse-store') },
    );
    const summary = JSON.parse(
      (await kimgOk(['inspect', 'example.com/multi:sparse'], { root: join(work, 'sparse-store') })).stdout,
    );
    expect(summary.digest).toBe(multi.index.digest);
    expect(summary.manifests.map((m: { absent?: boolean }) => m.absent === true)).toEqual([true, false]);
  });

  it('several platforms without --keep-index make a filtered index with a new digest, stated', async () => {
    await kimgOk(['copy', '--platform', 'linux/arm64', layout(), `oci:${join(work, 'one')}:x`], { root });
    expect((await inspect(`oci:${join(work, 'one')}:x`)).digest).toBe(multi.children[1]?.manifestDigest);
    const both = await kimgOk(
      ['copy', '--platform', 'linux/arm64,linux/amd64', layout(), `oci:${join(work, 'both')}:x`],
      { root },
    );
    expect(both.stderr).toMatch(/wrote a filtered index sha256:[0-9a-f]{64}/);
    expect((await inspect(`oci:${join(work, 'both')}:x`)).platforms).toEqual(['linux/amd64', 'linux/arm64']);
  });

  it('a platform the index lacks is refused with the list of what it has', async () => {
    const before = await treeHash(root);
    const result = await kimg(['copy', '--platform', 'linux/s390x', layout(), 'example.com/multi:none'], {
      root,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('has no linux/s390x image');
    expect(result.stderr).toContain('it has: linux/amd64, linux/arm64');
    expect(await treeHash(root)).toBe(before);
  });

  it('docker-archive cannot hold an index and says which flag to use', async () => {
    const result = await kimg(['copy', layout(), `docker-archive:${join(work, 'multi.tar')}:multi:1`], {
      root,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--platform');
  });
});

describe('bad input', () => {
  it('unknown transport and missing image', async () => {
    const unknown = await kimg(['copy', 's3://bucket/x', 'x:1'], { root });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown transport/i);
    const missing = await kimg(['copy', `oci:${join(work, 'layout')}:nope`, 'x:1'], { root });
    expect(missing.stderr).toContain('nope');
  });

  it('a full or read-only destination fails cleanly, leaving nothing half-written', async () => {
    const big = await writeRandomImage(join(work, 'big'), {
      ref: 'big',
      layers: 2,
      fileSize: 200_000,
      seed: 71,
    });
    const source = `oci:${join(work, 'big')}:big`;
    expect(big.layers.reduce((sum, l) => sum + l.size, 0)).toBeGreaterThan(1_000_000);
    const mountPoint = join(work, 'small');
    await mkdir(mountPoint);
    await runOk('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mountPoint]);
    try {
      const empty = await treeHash(mountPoint);
      const full = await kimg(['copy', source, `oci-archive:${join(mountPoint, 'a.tar')}`], { root });
      expect(full.code).toBe(1);
      expect(full.stderr).toMatch(/ENOSPC|no space/i);
      // The archive appears only when complete: nothing is left behind.
      expect(await treeHash(mountPoint)).toBe(empty);
      const fullStore = await kimg(['copy', source, 'x:1'], { root: join(mountPoint, 'store') });
      expect(fullStore.code).toBe(1);
      expect(fullStore.stderr).toMatch(/ENOSPC|no space/i);
      const images = await kimgOk(['images', '--quiet'], { root: join(mountPoint, 'store') });
      expect(images.stdout.trim()).toBe('');
      await runOk('mount', ['-o', 'remount,ro', mountPoint]);
      const readOnly = await kimg(['copy', source, `oci:${join(mountPoint, 'ro')}:x`], { root });
      expect(readOnly.code).toBe(1);
      expect(readOnly.stderr).toMatch(/EROFS|read-only/i);
    } finally {
      await runOk('umount', [mountPoint]);
    }
  });
});
