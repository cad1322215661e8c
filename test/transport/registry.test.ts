import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodedPart } from '../../src/digest';
import { MediaType, type Descriptor } from '../../src/manifest';
import { RegistryClient } from '../../src/registry';
import { canResolveReading, type ReadingResolver } from '../../src/transport/capabilities';
import { openOciLayout } from '../../src/transport/oci-layout';
import { readBlob } from '../../src/transport/read-blob';
import { createRegistryClient } from '../../src/transport/registry';
import type { ReadOnlyTarget } from '../../src/transport/types';
import {
  makeTempDir,
  removeTempDirs,
  skopeo,
  startFaultProxy,
  startRegistry,
  type FaultProxy,
  type RunningRegistry,
} from '../harness';
import { writeMultiArchLayout } from '../fixtures/multi-arch';
import { writeRandomImage, type FixtureImage } from '../fixtures/random-image';
import { artifact, body, copy, open, pushLayout, stack, summary, uploads } from './registry-helpers';

// The docker:// transport against the REAL docker-registry (distribution 2.8: no referrers API, so the tag
// schema fallback), with a counting proxy in front to hold it to DESIGN.md's request budgets.
let registry: RunningRegistry;
let proxy: FaultProxy;
let client: RegistryClient;
let layout: string;
let image: FixtureImage;

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.url);
  client = createRegistryClient();
  layout = await makeTempDir();
  image = await writeRandomImage(layout, { ref: '1', seed: 41, layers: 3 });
});
afterAll(async () => {
  await client?.close();
  await proxy?.stop();
  await registry?.stop();
  await removeTempDirs();
});

describe('docker:// reads what skopeo pushed', () => {
  it.each(['oci', 'v2s2'] as const)(
    'a %s image: resolve, fetch verified, copy byte-exact',
    async (format) => {
      const pushed = await skopeo([
        'copy',
        '--dest-tls-verify=false',
        ...(format === 'v2s2' ? ['--format', 'v2s2'] : ['--preserve-digests']),
        `oci:${layout}:1`,
        `docker://${registry.host}/skopeo/${format}:1`,
      ]);
      expect(pushed.code).toBe(0);
      const inspected = JSON.parse(
        (await skopeo(['inspect', '--tls-verify=false', `docker://${registry.host}/skopeo/${format}:1`]))
          .stdout,
      ) as { Digest: string };
      const { target, ref } = await open(client, `docker://${registry.host}/skopeo/${format}:1`, 'source');
      const root = await target.resolve(ref);
      expect(root.digest).toBe(inspected.Digest);
      expect(root.mediaType).toBe(format === 'oci' ? MediaType.OciManifest : MediaType.DockerManifest);
      const out = await makeTempDir();
      const result = await copy(client, `docker://${registry.host}/skopeo/${format}:1`, `oci:${out}:x`);
      expect(result.images[0]?.descriptor.digest).toBe(inspected.Digest);
      expect((await openOciLayout(out).resolve('x')).digest).toBe(inspected.Digest);
    },
  );

  it('resolve of a missing tag says which image is missing', async () => {
    const { target } = await open(client, `docker://${registry.host}/skopeo/oci:nope`, 'source');
    await expect(target.resolve(undefined)).rejects.toMatchObject({ code: 'IMAGE_NOT_FOUND' });
    await expect(target.resolve(`${registry.host}/other/repo:1`)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});

describe('request budgets (counting proxy)', () => {
  it('a new blob costs HEAD + POST + PUT; an image already present 2 requests', async () => {
    proxy.reset();
    const first = await pushLayout(client, layout, '1', `docker://${proxy.host}/budget/app:1`);
    expect(first.stats.blobsCopied).toBe(5); // 3 layers, config, manifest
    const blobRequests = proxy.requests.filter((r) => r.path.includes('/blobs/'));
    // 4 blobs × (HEAD, POST, PUT)
    expect(blobRequests).toHaveLength(12);
    proxy.reset();
    const again = await copy(
      client,
      `docker://${proxy.host}/budget/app:1`,
      `docker://${proxy.host}/budget/app:1`,
    );
    expect(again.stats).toMatchObject({ blobsCopied: 0, blobsSkipped: 1 });
    // resolve at the source (HEAD by tag) + the destination's HEAD of its tag: nothing else.
    expect(summary(proxy.requests)).toEqual([
      'HEAD /v2/budget/app/manifests/1 200',
      'HEAD /v2/budget/app/manifests/1 200',
    ]);
  });

  it('a copy to another repository of the same registry mounts every blob (HEAD + POST each)', async () => {
    proxy.reset();
    const result = await copy(
      client,
      `docker://${proxy.host}/budget/app:1`,
      `docker://${proxy.host}/mounted/app:1`,
    );
    expect(result.stats).toMatchObject({ blobsMounted: 4, blobsCopied: 1 });
    expect(uploads(proxy.requests)).toHaveLength(0);
    const posts = proxy.requests.filter((r) => r.method === 'POST');
    expect(posts.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    expect(posts.every((r) => r.path.includes('mount=') && r.path.includes('from=budget%2Fapp'))).toBe(true);
    expect(proxy.requests.filter((r) => r.path.includes('/blobs/'))).toHaveLength(8);
  });

  it('20 images sharing base layers upload each blob once', async () => {
    const shared = await makeTempDir();
    const refs: string[] = [];
    for (let i = 0; i < 20; i++) {
      // Same seed for the first layers (identical bytes), one layer of its own per image.
      const own = await writeRandomImage(shared, { ref: `base${i}`, seed: 500, layers: 2 });
      const top = await writeRandomImage(shared, { ref: `top${i}`, seed: 600 + i, layers: 1 });
      refs.push(await stack(shared, own, top, `img${i}`));
    }
    const source = `docker://${registry.host}/shared/app`;
    for (const ref of refs) await pushLayout(client, shared, ref, `${source}:${ref}`);
    proxy.reset();
    const src = await open(client, `${source}:img0`, 'source');
    const dst = await open(client, `docker://${proxy.host}/mirror/app:img0`, 'destination');
    const { transfer } = await import('../../src/copy');
    await transfer(
      src.target,
      dst.target as never,
      refs.map((ref) => ({ ref, names: [`${proxy.host}/mirror/app:${ref}`] })),
    );
    const perDigest = new Map<string, number>();
    for (const put of uploads(proxy.requests)) {
      const digest = new URL(put.path, 'http://x').searchParams.get('digest') ?? '?';
      perDigest.set(digest, (perDigest.get(digest) ?? 0) + 1);
    }
    // 2 shared base layers + 20 own layers + 20 configs, each uploaded exactly once.
    expect(perDigest.size).toBe(42);
    expect([...perDigest.values()].every((n) => n === 1)).toBe(true);
    // Each asked about once: by a HEAD, or once the client saw the registry mount (the test before does), by the
    // upload's POST, a mount from the repository itself (registry/client/upload.ts; 202: not there, then PUT).
    const checks = proxy.requests.filter(
      (r) => (r.method === 'HEAD' && r.path.includes('/blobs/')) || r.path.includes('from=mirror%2Fapp'),
    );
    expect(checks).toHaveLength(42);
    expect(checks.filter((r) => !['HEAD 404', 'POST 202'].includes(`${r.method} ${r.status}`))).toEqual([]);
    const heads = checks.filter((r) => r.method === 'HEAD').length;
    expect(proxy.requests.filter((r) => r.path.includes('/blobs/'))).toHaveLength(42 * 2 + heads);
  });
});

describe('referrers and digest tags', () => {
  it('--referrers copies an artifact whose subject is the image (fallback tag on distribution 2.8)', async () => {
    await pushLayout(client, layout, '1', `docker://${registry.host}/signed/app:1`);
    const repo = client.repository(registry.host, 'signed/app', { push: true });
    const sig = artifact(image.manifestDescriptor, 'a');
    await repo.pushBlob(sig.emptyDesc, body(sig.empty));
    await repo.pushBlob(sig.payloadDesc, body(sig.payload));
    await repo.putManifest(sig.desc.digest, sig.bytes, MediaType.OciManifest);
    expect((await repo.referrers(image.manifestDigest)).map((d) => d.digest)).toEqual([sig.desc.digest]);

    const result = await copy(
      client,
      `docker://${registry.host}/signed/app:1`,
      `docker://${registry.host}/copied/app:1`,
      {
        referrers: true,
      },
    );
    expect(result.images[0]?.notes).toContain('1 attached artifact(s) copied');
    const copied = client.repository(registry.host, 'copied/app');
    expect((await copied.referrers(image.manifestDigest)).map((d) => d.digest)).toEqual([sig.desc.digest]);
    expect((await copied.getManifest(sig.desc.digest)).bytes.equals(sig.bytes)).toBe(true);

    const out = await makeTempDir();
    await copy(client, `docker://${registry.host}/signed/app:1`, `oci:${out}:app`, { referrers: true });
    expect(await openOciLayout(out).exists(sig.desc)).toBe(true);
  });

  it('--digest-tags copies cosign-style sha256-<hex>.sig tags', async () => {
    const repo = client.repository(registry.host, 'signed/app', { push: true });
    const sig = artifact(image.manifestDescriptor, 'cosign');
    await repo.pushBlob(sig.emptyDesc, body(sig.empty));
    await repo.pushBlob(sig.payloadDesc, body(sig.payload));
    const tag = `sha256-${encodedPart(image.manifestDigest)}.sig`;
    await repo.putManifest(tag, sig.bytes, MediaType.OciManifest, { referrersFallback: false });
    await copy(client, `docker://${registry.host}/signed/app:1`, `docker://${registry.host}/tagged/app:1`, {
      digestTags: true,
    });
    const tags = await client.repository(registry.host, 'tagged/app').listTags();
    // The signature names the image as its subject, so the fallback referrers tag is written too.
    expect(tags.sort()).toEqual(['1', `sha256-${encodedPart(image.manifestDigest)}`, tag]);
  });
});

describe('indexes', () => {
  it('copies a multi-arch index byte-exact; a sparse index is refused before any tag is written', async () => {
    const multi = await makeTempDir();
    const fixture = await writeMultiArchLayout(multi, 'multi');
    const pushed = await pushLayout(client, multi, 'multi', `docker://${registry.host}/multi/app:1`);
    expect(pushed.images[0]?.descriptor.digest).toBe(fixture.index.digest);
    await expect(
      copy(client, `docker://${registry.host}/multi/app:1`, `docker://${registry.host}/sparse/app:1`, {
        platforms: {
          kind: 'platforms',
          platforms: [{ os: 'linux', architecture: 'amd64' }],
          keepIndex: true,
        },
      }),
    ).rejects.toThrow(/sparse|MANIFEST_BLOB_UNKNOWN|blob unknown/i);
    expect(await client.repository(registry.host, 'sparse/app').headManifest('1')).toBeUndefined();
  });

  it('a root held back for its tag PUT is stored by digest first when an index names it', async () => {
    const multi = await makeTempDir();
    const fixture = await writeMultiArchLayout(multi, 'multi', 91);
    const child = fixture.children[0]?.manifestDescriptor as Descriptor;
    const dst = await open(client, `docker://${proxy.host}/held/app:child`, 'destination');
    const { transfer } = await import('../../src/copy');
    proxy.reset();
    // The child is tagged and copied first: held back for its tag, then stored by digest when the (untagged)
    // index that names it is pushed (the registry checks an index's children), then tagged at commit.
    await transfer(openOciLayout(multi), dst.target as never, [
      { descriptor: child, names: ['child'] },
      { ref: 'multi', names: [] },
    ]);
    await dst.target.close();
    const puts = proxy.requests
      .filter((r) => r.method === 'PUT' && r.path.includes('/manifests/'))
      .map((r) => `${r.path.split('/manifests/')[1]} ${r.status}`);
    expect([...puts].sort()).toEqual(
      [
        ...fixture.children.map((c) => `${c.manifestDigest} 201`),
        `${fixture.index.digest} 201`,
        'child 201',
      ].sort(),
    );
    // The held-back child was stored before the index that names it, and its tag last.
    expect(puts.indexOf(`${child.digest} 201`)).toBeLessThan(puts.indexOf(`${fixture.index.digest} 201`));
    expect(puts.at(-1)).toBe('child 201');
    const repo = client.repository(registry.host, 'held/app');
    expect((await repo.headManifest(fixture.index.digest))?.digest).toBe(fixture.index.digest);
    expect((await repo.headManifest('child'))?.digest).toBe(child.digest);
  });
});

async function readingSource(ref: string): Promise<ReadOnlyTarget & ReadingResolver> {
  const { target } = await open(client, `docker://${proxy.host}/${ref}`, 'source');
  if (!canResolveReading(target)) throw new Error('a registry source resolves by reading');
  return target;
}

describe('RegistryTarget.resolveReading (issue 12: one GET by tag, its verified bytes reused by fetch)', () => {
  beforeAll(async () => {
    await pushLayout(client, layout, '1', `docker://${registry.host}/reading/app:1`);
  });

  it('resolves by one GET, the same descriptor as a HEAD, and the manifest read after it costs no request', async () => {
    const target = await readingSource('reading/app:1');
    try {
      proxy.reset();
      const desc = await target.resolveReading(`${proxy.host}/reading/app:1`);
      const bytes = await readBlob(target, desc, 1 << 20);
      expect(summary(proxy.requests).filter((line) => line.includes('/manifests/'))).toEqual([
        'GET /v2/reading/app/manifests/1 200',
      ]);
      // Byte-exact: the manifest as written, and the descriptor a HEAD gives.
      const written = await readFile(join(layout, 'blobs', 'sha256', encodedPart(image.manifestDigest)));
      expect(bytes.equals(written)).toBe(true);
      expect(desc).toEqual(await target.resolve(undefined));
      // The descriptor's size is still checked against the kept bytes (no request made for it).
      const requests = proxy.requests.length;
      await expect(readBlob(target, { ...desc, size: desc.size + 1 }, 1 << 20)).rejects.toMatchObject({
        code: 'SIZE_MISMATCH',
      });
      expect(proxy.requests.length).toBe(requests);
    } finally {
      await target.close();
    }
  });

  it('refuses bytes that do not hash to Docker-Content-Digest (the client verification)', async () => {
    proxy.setRules([{ kind: 'corrupt-byte', offset: 5, method: 'GET', path: /\/manifests\/1$/ }]);
    const target = await readingSource('reading/app:1');
    try {
      await expect(target.resolveReading('1')).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    } finally {
      proxy.setRules([]);
      await target.close();
    }
  });

  it('a missing tag or repository is IMAGE_NOT_FOUND, as for resolve', async () => {
    for (const ref of ['reading/app:nope', 'reading/none:1']) {
      const target = await readingSource(ref);
      try {
        await expect(target.resolveReading(ref.split(':')[1] as string)).rejects.toMatchObject({
          code: 'IMAGE_NOT_FOUND',
          message: expect.stringContaining('does not exist'),
        });
      } finally {
        await target.close();
      }
    }
  });
});

/** A manifest of `base`'s layers plus `top`'s layer, with `top`'s config; returns its ref in the layout. */
