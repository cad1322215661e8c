import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openOciLayout } from '../../src/transport/oci-layout';
import { removeTempDirs, makeTempDir, skopeo, startRegistry, type RunningRegistry } from '../harness';
import { writeRandomImage, type FixtureImage } from '../fixtures/random-image';
import { copyLayoutToRegistryDir, copyToLayout } from './registry-dir-fixtures';
import { writeMultiArchLayout, type MultiArchFixture } from '../fixtures/multi-arch';

// kimg writes a registry dir; the REAL docker-registry serves it (DESIGN.md: what a cluster image embeds in
// registry/) and skopeo, a peer client, reads every image back with its digests.
let storage: string;
let image: FixtureImage;
let multi: MultiArchFixture;
let registry: RunningRegistry;

beforeAll(async () => {
  const layout = await makeTempDir();
  const multiLayout = await makeTempDir();
  storage = await makeTempDir('kimg-registry-dir-');
  image = await writeRandomImage(layout, { ref: '1', seed: 1, layers: 3 });
  multi = await writeMultiArchLayout(multiLayout, 'multi');
  await copyLayoutToRegistryDir(layout, '1', storage, ['app:1']);
  // A second transaction adds to the existing dir: another repository, the same blobs.
  await copyLayoutToRegistryDir(layout, '1', storage, ['quay.io/team/tool:2']);
  await copyLayoutToRegistryDir(multiLayout, 'multi', storage, ['docker.io/library/multi:1']);
  registry = await startRegistry({ storageDir: storage });
});
afterAll(async () => {
  await registry?.stop();
  await removeTempDirs();
});

async function pullWithSkopeo(reference: string, all = false): Promise<{ digest: string; dir: string }> {
  const out = await makeTempDir();
  const copy = await skopeo([
    'copy',
    '--src-tls-verify=false',
    '--preserve-digests',
    ...(all ? ['--all'] : []),
    `docker://${registry.host}/${reference}`,
    `oci:${out}:pulled`,
  ]);
  expect(copy.stderr).toBe('');
  expect(copy.code).toBe(0);
  // Read the result back through our own OCI reader: every blob fetched and verified on the way.
  const source = openOciLayout(out);
  const digest = (await copyToLayout(source, 'pulled', await makeTempDir())).digest;
  return { digest, dir: out };
}

describe('registry-dir written by kimg, served by docker-registry', () => {
  it('skopeo inspect sees the manifest digest kimg wrote', async () => {
    const inspect = await skopeo([
      'inspect',
      '--tls-verify=false',
      `docker://${registry.host}/library/app:1`,
    ]);
    expect(inspect.code).toBe(0);
    expect(JSON.parse(inspect.stdout).Digest).toBe(image.manifestDigest);
  });

  it('skopeo copy pulls the image out with every blob verified', async () => {
    const { digest } = await pullWithSkopeo('library/app:1');
    expect(digest).toBe(image.manifestDigest);
  });

  it('a second repository in the same dir is served too, its blobs stored once', async () => {
    const { digest } = await pullWithSkopeo('team/tool:2');
    expect(digest).toBe(image.manifestDigest);
    const blobs = join(storage, 'docker/registry/v2/blobs/sha256');
    let dataFiles = 0;
    for (const fanout of await readdir(blobs)) dataFiles += (await readdir(join(blobs, fanout))).length;
    // app image: 3 layers + config + manifest; multi: 2 × (2 layers + config + manifest) + index.
    expect(dataFiles).toBe(5 + 9);
  });

  it('a multi-arch index is served by digest-exact bytes and copied with --all', async () => {
    const raw = await skopeo([
      'inspect',
      '--raw',
      '--tls-verify=false',
      `docker://${registry.host}/library/multi:1`,
    ]);
    expect(raw.code).toBe(0);
    expect(`sha256:${createHash('sha256').update(raw.stdout).digest('hex')}`).toBe(multi.index.digest);
    const { digest, dir } = await pullWithSkopeo('library/multi:1', true);
    expect(digest).toBe(multi.index.digest);
    for (const child of multi.children) {
      const hex = child.manifestDigest.slice('sha256:'.length);
      expect((await readFile(join(dir, 'blobs/sha256', hex))).length).toBe(child.manifestDescriptor.size);
    }
  });

  it('leaves no kimg state in the dir', async () => {
    expect((await readdir(storage)).sort()).toEqual(['docker']);
  });
});
