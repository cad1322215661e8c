import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  kimgOk,
  makeTempDir,
  removeTempDirs,
  run,
  runOk,
  skopeo,
  startDockerd,
  startRegistry,
  type RunningDockerd,
  type RunningRegistry,
} from '../harness';
import { writeRandomImage, type FixtureImage } from '../fixtures/random-image';

// Interop in both directions with the peers (issue 4 "Tests"): what skopeo and buildah push, kimg pulls and
// copies byte-exact; what kimg pushes, skopeo reads, the real dockerd pulls and umoci unpacks.
let registry: RunningRegistry;
let root: string;
let layout: string;
let image: FixtureImage;

beforeAll(async () => {
  registry = await startRegistry();
  root = await makeTempDir('kimg-root-');
  layout = await makeTempDir();
  image = await writeRandomImage(layout, { ref: '1', seed: 77, layers: 2 });
});
afterAll(async () => {
  await registry?.stop();
  await removeTempDirs();
});

async function rawDigest(reference: string): Promise<string> {
  const inspect = await skopeo(['inspect', '--tls-verify=false', reference]);
  expect(inspect.code).toBe(0);
  return (JSON.parse(inspect.stdout) as { Digest: string }).Digest;
}

/** buildah with a private store (vfs: no overlay mounts needed), never the host's. */
async function buildahIn(dir: string) {
  const args = ['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--storage-driver', 'vfs'];
  return (...rest: string[]) => runOk('buildah', [...args, ...rest]);
}

describe('kimg pulls and copies what the peers pushed', () => {
  it.each([
    ['OCI', ['--preserve-digests']],
    ['Docker schema 2', ['--format', 'v2s2']],
  ])('skopeo (%s) → kimg pull and kimg copy keep the digest', async (_name, flags) => {
    const ref = `${registry.host}/skopeo/${flags[1] === 'v2s2' ? 'v2s2' : 'oci'}:1`;
    const pushed = await skopeo([
      'copy',
      '--dest-tls-verify=false',
      ...flags,
      `oci:${layout}:1`,
      `docker://${ref}`,
    ]);
    expect(pushed.code).toBe(0);
    const digest = await rawDigest(`docker://${ref}`);
    const pull = await kimgOk(['pull', ref, '--format', 'json'], { root: await makeTempDir('kimg-root-') });
    expect(JSON.parse(pull.stdout)).toMatchObject({ digest, blobsCopied: 4 });
    const out = await makeTempDir();
    await kimgOk(['copy', `docker://${ref}`, `oci:${out}:x`], { root });
    expect(JSON.parse(await readFile(join(out, 'index.json'), 'utf8')).manifests[0].digest).toBe(digest);
  });

  it('buildah images and a buildah multi-arch index (manifest create/add/push --all)', async () => {
    const dir = await makeTempDir('kimg-buildah-');
    const buildah = await buildahIn(dir);
    await writeFile(join(dir, 'hello.txt'), 'hello from buildah\n');
    for (const arch of ['amd64', 'arm64']) {
      const container = (await buildah('from', 'scratch')).stdout.trim();
      await buildah('copy', container, join(dir, 'hello.txt'), `/hello-${arch}.txt`);
      await buildah('config', '--arch', arch, '--os', 'linux', container);
      await buildah('commit', container, `localhost/bah:${arch}`);
      await buildah(
        'push',
        '--tls-verify=false',
        `localhost/bah:${arch}`,
        `docker://${registry.host}/bah/app:${arch}`,
      );
    }
    await buildah('manifest', 'create', 'localhost/bah-list');
    for (const arch of ['amd64', 'arm64'])
      await buildah('manifest', 'add', 'localhost/bah-list', `localhost/bah:${arch}`);
    await buildah(
      'manifest',
      'push',
      '--all',
      '--tls-verify=false',
      'localhost/bah-list',
      `docker://${registry.host}/bah/multi:1`,
    );

    const single = await rawDigest(`docker://${registry.host}/bah/app:arm64`);
    const pulled = JSON.parse(
      (await kimgOk(['pull', `${registry.host}/bah/app:arm64`, '--format', 'json'], { root })).stdout,
    );
    expect(pulled.digest).toBe(single);

    const raw = await skopeo([
      'inspect',
      '--raw',
      '--tls-verify=false',
      `docker://${registry.host}/bah/multi:1`,
    ]);
    const index = JSON.parse(raw.stdout) as { manifests: unknown[] };
    expect(index.manifests).toHaveLength(2);
    const indexDigest = await rawDigest(`docker://${registry.host}/bah/multi:1`).catch(() => undefined);
    const out = await makeTempDir();
    const copied = JSON.parse(
      (
        await kimgOk(
          ['copy', `docker://${registry.host}/bah/multi:1`, `oci:${out}:multi`, '--format', 'json'],
          { root },
        )
      ).stdout,
    );
    // skopeo inspect answers for the host platform's child; --raw bytes hash to the index digest.
    const { createHash } = await import('node:crypto');
    expect(copied.digest).toBe(`sha256:${createHash('sha256').update(raw.stdout).digest('hex')}`);
    expect(indexDigest).toBeDefined();
    const check = await skopeo(['inspect', '--raw', `oci:${out}:multi`]);
    expect(check.stdout).toBe(raw.stdout);
  });
});

describe('the peers read what kimg pushed', () => {
  let dockerd: RunningDockerd;
  beforeAll(async () => {
    dockerd = await startDockerd();
    await kimgOk(['copy', `oci:${layout}:1`, `docker://${registry.host}/kimg/app:1`], { root });
  }, 90_000);
  afterAll(async () => {
    await dockerd?.stop();
  });

  it('skopeo inspect and copy see the digest kimg pushed', async () => {
    expect(await rawDigest(`docker://${registry.host}/kimg/app:1`)).toBe(image.manifestDigest);
    const out = await makeTempDir();
    const copy = await skopeo([
      'copy',
      '--src-tls-verify=false',
      `docker://${registry.host}/kimg/app:1`,
      `oci:${out}:x`,
    ]);
    expect(copy.code).toBe(0);
  });

  it('the real dockerd pulls it (127.0.0.0/8 is insecure-allowed) with the same digest', async () => {
    const pull = await run('docker', ['-H', dockerd.host, 'pull', `${registry.host}/kimg/app:1`]);
    expect(pull.stderr).toBe('');
    expect(pull.stdout).toContain(`Digest: ${image.manifestDigest}`);
  });

  it('umoci unpacks the image after kimg copy docker:// oci:DIR:x', async () => {
    const out = await makeTempDir();
    await kimgOk(['copy', `docker://${registry.host}/kimg/app:1`, `oci:${out}:x`], { root });
    const bundle = join(await makeTempDir(), 'bundle');
    await runOk('umoci', ['unpack', '--image', `${out}:x`, bundle]);
    for (const [path, content] of image.files) {
      expect((await readFile(join(bundle, 'rootfs', path))).equals(content)).toBe(true);
    }
  });
});
