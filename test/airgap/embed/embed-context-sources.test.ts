import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { copyFile, mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { kimg, kimgOk, makeTempDir, removeTempDirs, skopeo, treeHash } from '../../harness';
import { writeRandomImage, type FixtureImage } from '../../fixtures/random-image';
import { writeTree } from '../discovery/fixture-context';
import { sha256, startServe } from '../serve-process';

// `images/shim/*` lines may name an archive or a layout of the build context (issue 10, item 1: "any kimg
// transport allowed"); the build embeds them under the name they carry, and refuses paths leading outside the
// context. Real components: archives written by `kimg save`, the result read by skopeo through
// `kimg registry serve --image`.
let root: string;
let tool: FixtureImage;
let archive: string;

const KUBEFILE = 'FROM scratch\nLABEL sealos.io.type=application\n';

beforeAll(async () => {
  root = await makeTempDir('kimg-root-');
  const layout = await makeTempDir('kimg-layout-');
  await writeRandomImage(layout, { ref: 'saved', seed: 61 });
  await kimgOk(['copy', `oci:${layout}:saved`, 'acme/saved:1'], { root });
  archive = join(await makeTempDir('kimg-archive-'), 'saved.tar');
  await kimgOk(['save', '--format', 'docker-archive', '-o', archive, 'acme/saved:1'], { root });
}, 60_000);

afterAll(removeTempDirs);

async function contextWithList(lines: string[]): Promise<string> {
  const context = await makeTempDir('kimg-ctx-sources-');
  await writeTree(context, {
    Kubefile: KUBEFILE,
    'images/shim/list': ['# local images', ...lines, ''].join('\n'),
  });
  return context;
}

interface Record {
  name: string;
  digest: string;
  reference: string;
  sources: string[];
}

async function records(ref: string): Promise<Record[]> {
  const image = JSON.parse((await kimgOk(['inspect', '--format', 'json', ref], { root })).stdout) as {
    config?: { labels?: { [key: string]: string } };
  };
  return JSON.parse(image.config?.labels?.['io.kimg.images'] ?? '[]') as Record[];
}

describe('kimg build embeds images of archives and layouts in the build context', () => {
  it('embeds a docker-archive by its RepoTag and an oci: layout by its ref.name, served with their digests', async () => {
    const context = await contextWithList(['docker-archive:archives/saved.tar', 'oci:layouts/tool']);
    await mkdir(join(context, 'archives'));
    await copyFile(archive, join(context, 'archives/saved.tar'));
    tool = await writeRandomImage(join(context, 'layouts/tool'), { ref: 'team/tool:3', seed: 62, layers: 1 });
    const built = await kimg(['build', '--platform', 'linux/amd64', '-t', 'local-apps:1', context], { root });
    expect(built.stderr).not.toMatch(/warning|error/);
    expect(built.code).toBe(0);

    const embedded = await records('local-apps:1');
    const byName = new Map(embedded.map((r) => [r.name, r]));
    expect([...byName.keys()].sort()).toEqual(['acme/saved:1', 'team/tool:3']);
    expect(byName.get('acme/saved:1')?.sources).toEqual(['images/shim/list:2']);
    expect(byName.get('team/tool:3')?.sources).toEqual(['images/shim/list:3']);
    expect(byName.get('team/tool:3')?.reference).toBe('oci:layouts/tool');
    // The layout's image is stored byte for byte; the archive's as kimg reads it (the digest `kimg inspect` gives).
    expect(byName.get('team/tool:3')?.digest).toBe(tool.manifestDigest);
    const fromArchive = JSON.parse(
      (await kimgOk(['inspect', '--format', 'json', `docker-archive:${archive}`], { root })).stdout,
    ) as { digest: string };
    expect(byName.get('acme/saved:1')?.digest).toBe(fromArchive.digest);

    const server = await startServe(['--image', 'local-apps:1'], { root });
    try {
      for (const record of embedded) {
        const raw = await skopeo([
          'inspect',
          '--raw',
          '--tls-verify=false',
          `docker://${server.host}/${record.name}`,
        ]);
        expect(raw.stderr).toBe('');
        expect(sha256(Buffer.from(raw.stdout))).toBe(record.digest);
      }
    } finally {
      await server.stop();
    }
  }, 120_000);

  it('refuses a list line leading outside the context, naming file:line; the store is as it was', async () => {
    const context = await contextWithList(['oci:../elsewhere', 'docker-archive:../saved.tar']);
    const before = await treeHash(root);
    const built = await kimg(['build', '--platform', 'linux/amd64', '-t', 'escape:1', context], { root });
    expect(built.code).not.toBe(0);
    expect(built.stderr).toMatch(/images\/shim\/list:[23]\b.*outside the build context/);
    // One error line and its hint, no stack.
    expect(built.stderr.split('\n').filter((l) => l.startsWith('kimg:'))).toHaveLength(2);
    expect(built.stderr).not.toMatch(/\n\s+at /);
    // Not silenced by --ignore-missing-images either: an escape is not a missing image.
    const ignored = await kimg(
      ['build', '--platform', 'linux/amd64', '--ignore-missing-images', '-t', 'escape:1', context],
      { root },
    );
    expect(ignored.code).not.toBe(0);
    expect(ignored.stderr).toMatch(/outside the build context/);
    expect(await treeHash(root)).toBe(before);
  }, 60_000);

  it('refuses an archive that is a symbolic link out of the context, naming file:line', async () => {
    const context = await contextWithList(['docker-archive:linked.tar']);
    await symlink(archive, join(context, 'linked.tar'));
    const before = await treeHash(root);
    const built = await kimg(['build', '--platform', 'linux/amd64', '-t', 'escape:2', context], { root });
    expect(built.code).not.toBe(0);
    expect(built.stderr).toMatch(/images\/shim\/list:2\b.*linked\.tar.*leads to .*outside/);
    expect(await treeHash(root)).toBe(before);
  }, 60_000);

  it('refuses an image that carries no name, naming file:line and the way out', async () => {
    const context = await contextWithList(['oci:layouts/plain']);
    await writeRandomImage(join(context, 'layouts/plain'), { ref: 'latest', seed: 63, layers: 1 });
    const built = await kimg(['build', '--platform', 'linux/amd64', '-t', 'unnamed:1', context], { root });
    expect(built.code).not.toBe(0);
    expect(built.stderr).toMatch(/images\/shim\/list:2\b.*carries no image name/);
    expect(built.stderr).toMatch(/oci:DIR:REPO:TAG/);
  }, 60_000);
});
