import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RegistryClient } from '../../src/registry';
import { createRegistryClient } from '../../src/transport/registry';
import {
  kimg,
  makeTempDir,
  removeTempDirs,
  startFaultProxy,
  startRegistry,
  type FaultProxy,
  type ProxyRequestRecord,
  type RunningRegistry,
} from '../harness';
import { openOciLayout } from '../../src/transport/oci-layout';
import { openRegistryDir } from '../../src/transport/registry-dir';
import { uploads } from '../transport/registry-helpers';
import {
  baseName,
  seedRegistry,
  spawnKimg,
  startRegistryPair,
  syncFileText,
  writeSyncFile,
  type RegistryPair,
  type SeededRegistry,
} from './sync-fixtures';

// kimg sync between two real docker-registry instances, each behind a counting proxy (issue 12 "Tests").
let pair: RegistryPair | undefined;
let source: RunningRegistry;
let target: RunningRegistry;
let sourceProxy: FaultProxy;
let targetProxy: FaultProxy;
let client: RegistryClient;
let seeded: SeededRegistry;
let syncFile: string;
let root: string;

beforeAll(async () => {
  pair = await startRegistryPair();
  ({ source, target, sourceProxy, targetProxy } = pair);
  client = createRegistryClient();
  seeded = await seedRegistry(client, source.host);
  syncFile = await writeSyncFile(syncFileText(sourceProxy.host, source.host));
  root = await makeTempDir('kimg-root-');
}, 60_000);
afterAll(async () => {
  await client?.close();
  await pair?.stop();
  await removeTempDirs();
});

interface Report {
  planned: number;
  copied: { source: string; digest: string }[];
  skipped: { source: string; digest: string }[];
  failed: { source: string; reason: string }[];
  bytes: number;
  requests: number;
}

async function sync(args: string[]): Promise<{ code: number; report: Report; stderr: string }> {
  const result = await kimg(['sync', ...args, '--format', 'json'], { root });
  return { code: result.code, report: JSON.parse(result.stdout || '{}') as Report, stderr: result.stderr };
}

/** Completed blob uploads (the PUT closing a session) per digest. */
/** `POST /v2/<name>/blobs/uploads/?mount=…&from=<name>`: a blob "mounted" from the repository itself. */
function mountsIntoOwn(path: string): boolean {
  const url = new URL(path, 'http://proxy');
  const name = /^\/v2\/(.+)\/blobs\/uploads\/$/.exec(url.pathname)?.[1];
  return name !== undefined && url.searchParams.has('mount') && url.searchParams.get('from') === name;
}

function uploadedDigests(requests: ProxyRequestRecord[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const request of uploads(requests)) {
    const digest = /[?&]digest=([^&]+)/.exec(request.path)?.[1];
    if (request.method !== 'PUT' || request.status !== 201 || digest === undefined) continue;
    const key = decodeURIComponent(digest);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

describe('kimg sync -f sync.yaml REGISTRY/PATH', () => {
  it('copies 30 images with equal digests, each shared blob sent once, referrers and digest tags', async () => {
    const { code, report, stderr } = await sync([
      '-f',
      syncFile,
      `${targetProxy.host}/mirror`,
      '--keep-going',
    ]);
    expect(stderr).not.toContain('error');
    expect(code).toBe(0);
    expect(report.failed).toEqual([]);
    expect(report.planned).toBe(30);
    expect(report.copied).toHaveLength(30);
    for (const image of seeded.images) {
      const found = await client
        .repository(target.host, `mirror/${baseName(image.repo)}`)
        .headManifest(image.tag);
      expect({ image: `${image.repo}:${image.tag}`, digest: found?.digest }).toEqual({
        image: `${image.repo}:${image.tag}`,
        digest: image.digest,
      });
    }
    // Blobs move once per run: no digest uploaded twice, the shared base layers once and mounted elsewhere.
    const sent = uploadedDigests(targetProxy.requests);
    expect([...sent.values()].every((count) => count === 1)).toBe(true);
    for (const layer of seeded.baseLayers) expect(sent.get(layer)).toBe(1);
    const mounts = targetProxy.requests.filter((r) => r.method === 'POST' && r.path.includes('mount='));
    expect(mounts.length).toBeGreaterThanOrEqual(seeded.baseLayers.length * 8);
    // The image that claims a shared blob asks the destination about it; the others only mount it (no HEAD).
    for (const layer of seeded.baseLayers) {
      const heads = targetProxy.requests.filter(
        (r) => r.method === 'HEAD' && r.path.endsWith(`/blobs/${layer}`),
      );
      expect({ layer, heads: heads.length }).toEqual({ layer, heads: 1 });
    }
    // Once the registry has mounted a blob, a new blob is asked by its upload POST, a mount from its own
    // repository (202: not there, the session is used), instead of a HEAD first (registry/client/upload.ts).
    const intoOwn = targetProxy.requests.filter((r) => r.method === 'POST' && mountsIntoOwn(r.path));
    expect(intoOwn.length).toBeGreaterThan(0);
    expect(intoOwn.filter((r) => r.status !== 202)).toEqual([]);
    // The signature came along through the tag schema, and the cosign tag.
    const signed = client.repository(target.host, 'mirror/signed');
    expect((await signed.referrers(seeded.signed.digest)).map((d) => d.digest)).toContain(
      seeded.signed.artifact,
    );
    expect(await signed.listTags()).toContain(seeded.signed.sigTag);
  }, 90_000);

  it('a second run transfers nothing: one request per image on each side', async () => {
    sourceProxy.reset();
    targetProxy.reset();
    const { code, report } = await sync(['-f', syncFile, `${targetProxy.host}/mirror`]);
    expect(code).toBe(0);
    expect(report.copied).toEqual([]);
    expect(report.skipped).toHaveLength(30);
    expect(uploads(targetProxy.requests)).toEqual([]);
    // 29 images go through the proxies (signed, with its referrers, is read directly): one manifest request each.
    const perImage = (requests: ProxyRequestRecord[]) =>
      requests.filter((r) => /\/manifests\//.test(r.path) && !r.path.includes('/signed/'));
    expect(perImage(targetProxy.requests).map((r) => r.method)).toEqual(new Array(29).fill('HEAD'));
    expect(perImage(sourceProxy.requests)).toHaveLength(29);
    // Everything else the destination saw: the API ping, and the signed image's own checks.
    const other = targetProxy.requests.filter(
      (r) => !/\/manifests\//.test(r.path) || r.path.includes('/signed/'),
    );
    expect(other.filter((r) => !r.path.includes('/signed/')).map((r) => r.path)).toEqual(['/v2/']);
    // Tags are listed once per repository named by a listing key (9 of the 11 proxied repositories).
    const listings = sourceProxy.requests.filter((r) => r.path.includes('/tags/list'));
    expect(new Set(listings.map((r) => r.path.replace(/\?.*$/, ''))).size).toBe(listings.length);
  }, 60_000);

  it('--shard 0/3, 1/3 and 2/3 take every image exactly once', async () => {
    const parts = await Promise.all(
      [0, 1, 2].map((index) =>
        sync(['-f', syncFile, `${target.host}/shards`, '--dry-run', '--shard', `${index}/3`]),
      ),
    );
    const names = parts.flatMap(({ report }) => [...report.copied, ...report.skipped].map((e) => e.source));
    expect(names).toHaveLength(30);
    expect(new Set(names).size).toBe(30);
    for (const { report } of parts) expect(report.planned).toBeGreaterThan(0);
    // auto/N reads the Indexed Job's index.
    const auto = await kimg(
      ['sync', '-f', syncFile, `${target.host}/shards`, '--dry-run', '--shard', 'auto/3', '--format', 'json'],
      { root, env: { JOB_COMPLETION_INDEX: '1' } },
    );
    const autoNames = (JSON.parse(auto.stdout) as Report).copied.map((e) => e.source).sort();
    expect(autoNames).toEqual(
      [...(parts[1]?.report.copied ?? []), ...(parts[1]?.report.skipped ?? [])].map((e) => e.source).sort(),
    );
  }, 60_000);

  it('--dry-run names what would be copied with sizes, and writes nothing', async () => {
    targetProxy.reset();
    const { code, report } = await sync([
      `${sourceProxy.host}/apps/app0`,
      `${targetProxy.host}/dry`,
      '--dry-run',
    ]);
    expect(code).toBe(0);
    expect(report.copied.map((e) => e.source).sort()).toEqual(
      ['1.0.0', '1.0.1', '1.0.2'].map((tag) => `${sourceProxy.host}/apps/app0:${tag}`),
    );
    expect(report.bytes).toBeGreaterThan(0);
    expect(targetProxy.requests.filter((r) => r.method !== 'HEAD' && r.method !== 'GET')).toEqual([]);
  }, 30_000);
});

describe('a sync with an image that fails', () => {
  it('--keep-going copies the others, reports the failure with its reason, and exits 1', async () => {
    const file = await writeSyncFile(
      `${source.host}:\n  images:\n    apps/app1: ["missing", "1.0.0", "1.0.1"]\n`,
    );
    const kept = await sync(['-f', file, `${target.host}/failing`, '--keep-going', '--parallel', '1']);
    expect(kept.code).toBe(1);
    expect(kept.report.failed.map((f) => f.source)).toEqual([`${source.host}/apps/app1:missing`]);
    expect(kept.report.failed[0]?.reason).toContain('does not exist');
    expect(kept.report.copied).toHaveLength(2);
    expect(kept.stderr).toContain('1 of 3 images failed');
    // Without --keep-going the run stops starting images after the first failure (skopeo sync's default).
    const stopped = await sync(['-f', file, `${target.host}/stopping`, '--parallel', '1']);
    expect(stopped.code).toBe(1);
    expect(stopped.report.copied).toEqual([]);
    expect(await client.repository(target.host, 'stopping/app1').headManifest('1.0.0')).toBeUndefined();
  }, 30_000);
});

describe('a sync file naming images by digest', () => {
  it('copies the digest untagged and pins it at the destination', async () => {
    const [first] = seeded.images;
    const file = await writeSyncFile(
      `${source.host}:\n  images:\n    ${first?.repo}: ["${first?.digest}"]\n`,
    );
    const { code, report } = await sync(['-f', file, `${target.host}/pinned`]);
    expect(code).toBe(0);
    expect(report.copied.map((e) => e.source)).toEqual([`${source.host}/${first?.repo}@${first?.digest}`]);
    const repo = client.repository(target.host, `pinned/${baseName(first?.repo as string)}`);
    expect((await repo.headManifest(first?.digest as string))?.digest).toBe(first?.digest);
    // No tag was written: distribution answers a repository without tags with NAME_UNKNOWN.
    await expect(repo.listTags()).rejects.toThrow(/NAME_UNKNOWN/);
  }, 30_000);
});

describe('kimg sync to an OCI layout and a registry-dir, with --scoped and --dest-prefix', () => {
  it('writes every tag of a repository under the names skopeo would give', async () => {
    const app0 = seeded.images.filter((image) => image.repo === 'apps/app0');
    const layout = await makeTempDir('kimg-sync-oci-');
    const storage = await makeTempDir('kimg-sync-regdir-');
    const toLayout = await sync([`${source.host}/apps/app0`, `oci:${layout}`, '--dest-prefix', 'mirror']);
    expect(toLayout.code).toBe(0);
    const toDir = await sync([`docker://${source.host}/apps/app0`, `registry-dir:${storage}`, '--scoped']);
    expect(toDir.code).toBe(0);
    const oci = openOciLayout(layout);
    const dir = openRegistryDir(storage);
    try {
      for (const image of app0) {
        expect((await oci.resolve(`mirror/app0:${image.tag}`)).digest).toBe(image.digest);
        // --scoped keeps the host, its port's ':' made '_' (a repository name cannot hold it).
        const scoped = `localhost/${source.host.replace(':', '_')}/apps/app0:${image.tag}`;
        expect({ scoped, digest: (await dir.resolve(scoped)).digest }).toEqual({
          scoped,
          digest: image.digest,
        });
      }
    } finally {
      await oci.close();
      await dir.close();
    }
  }, 60_000);
});

describe('a registry that answers 429 and 503 (issue 12 "Tests": a fault proxy)', () => {
  it('slows the run down instead of failing it, and the report counts the retries', async () => {
    const fresh = await startRegistry();
    const proxy = await startFaultProxy(fresh.url, {
      rules: [
        { kind: 'status', status: 429, retryAfter: '1', method: 'HEAD', path: /\/blobs\//, times: 1 },
        { kind: 'status', status: 503, method: 'POST', times: 2 },
        { kind: 'status', status: 503, method: 'PUT', path: /\/manifests\//, times: 1 },
      ],
    });
    const faultRoot = await makeTempDir('kimg-root-');
    try {
      const run = await kimg(['sync', '-f', syncFile, `${proxy.host}/mirror`, '--format', 'json'], {
        root: faultRoot,
      });
      expect(run.stderr).not.toContain('kimg: error');
      expect(run.code).toBe(0);
      const report = JSON.parse(run.stdout) as Report & { retries: number };
      expect(report.failed).toEqual([]);
      expect(report.copied.length).toBe(30);
      // Every injected answer was waited out and sent again (a POST opened early for an upload that a 503 then
      // delayed may be sent once more: at least the 4 injected).
      expect(report.retries).toBeGreaterThanOrEqual(4);
      expect(proxy.requests.filter((r) => r.status === 429 || r.status === 503)).toHaveLength(4);
      await expectMirrored(fresh.host);
    } finally {
      await proxy.stop();
      await fresh.stop();
    }
  }, 90_000);
});

describe('a sync killed with SIGKILL, then run again', () => {
  it('finishes the rest without sending again the blobs that arrived', async () => {
    const fresh = await startRegistry();
    // Uploads from the 13th on are refused with 503 + Retry-After 30: the run is stuck retrying when killed, and
    // exactly the first 12 uploads arrived.
    const proxy = await startFaultProxy(fresh.url, {
      rules: [
        { kind: 'status', status: 503, retryAfter: '30', method: 'PUT', path: /\/blobs\/uploads\//, nth: 13 },
      ],
    });
    const killedRoot = await makeTempDir('kimg-root-');
    try {
      const { child, exited } = spawnKimg(
        ['sync', '-f', syncFile, `${proxy.host}/mirror`, '--keep-going'],
        killedRoot,
      );
      const deadline = Date.now() + 30_000;
      while (!proxy.requests.some((r) => r.status === 503) && Date.now() < deadline) await sleep(50);
      await sleep(300); // the 12 answered uploads reach the blob-location journal
      child.kill('SIGKILL');
      expect((await exited).signal).toBe('SIGKILL');
      const arrived = uploadedDigests(proxy.requests);
      expect(arrived.size).toBe(12);

      proxy.setRules([]);
      proxy.reset();
      const rerun = await kimg(['sync', '-f', syncFile, `${proxy.host}/mirror`, '--format', 'json'], {
        root: killedRoot,
      });
      expect(rerun.stderr).not.toContain('error');
      const report = JSON.parse(rerun.stdout) as Report;
      expect(report.failed).toEqual([]);
      expect(report.copied.length + report.skipped.length).toBe(30);
      const resent = [...uploadedDigests(proxy.requests).keys()].filter((digest) => arrived.has(digest));
      expect(resent).toEqual([]);
      await expectMirrored(fresh.host);
    } finally {
      await proxy.stop();
      await fresh.stop();
    }
  }, 90_000);
});

/** Every seeded image is at `host` under `mirror/`, by its tag, with its digest. */
async function expectMirrored(host: string): Promise<void> {
  for (const image of seeded.images) {
    const found = await client.repository(host, `mirror/${baseName(image.repo)}`).headManifest(image.tag);
    expect(found?.digest).toBe(image.digest);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
