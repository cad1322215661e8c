import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { kimgOk, makeTempDir, removeTempDirs, skopeo, startRegistry, type RunningRegistry } from '../harness';
import { rootOf, writeTree } from './build-helpers';

/**
 * `kimg build --push` against a real registry (CNCF distribution): every tag lands there, and the manifest the
 * registry serves is byte for byte the one in the local store (same digest), for one platform and for an index.
 */
let registry: RunningRegistry;
let work: string;

beforeAll(async () => {
  registry = await startRegistry();
  work = await makeTempDir();
}, 60_000);
afterAll(async () => {
  await registry?.stop();
  await removeTempDirs();
});

async function remoteDigest(ref: string): Promise<string> {
  const result = await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${ref}`]);
  if (result.code !== 0) throw new Error(`skopeo inspect ${ref}: ${result.stderr}`);
  return `sha256:${createHash('sha256').update(Buffer.from(result.stdout, 'utf8')).digest('hex')}`;
}

describe('kimg build --push', () => {
  it.each([
    ['one platform', ['linux/amd64']],
    ['an index', ['linux/amd64,linux/arm64']],
  ])('pushes %s whose registry digest equals the stored one', async (label, platform) => {
    const context = join(work, label.replace(/ /g, '-'));
    await writeTree(context, {
      'app.yaml': 'kind: ConfigMap\n',
      Kubefile: 'FROM scratch\nARG TARGETARCH\nLABEL arch=$TARGETARCH\nCOPY app.yaml /manifests/\n',
    });
    const root = join(work, `${label.replace(/ /g, '-')}-store`);
    const tags = [`${registry.host}/build/app:1`, `${registry.host}/build/app:latest`];
    const built = await kimgOk(
      ['build', '--push', '--platform', ...platform, ...tags.flatMap((t) => ['-t', t]), context],
      { root },
    );
    expect(built.code).toBe(0);
    const stored = await rootOf(root, tags[0] as string);
    for (const tag of tags) expect(await remoteDigest(tag)).toBe(stored.digest);
  });
});
