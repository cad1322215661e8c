import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RegistryClient } from '../../src/registry';
import type { SyncReport } from '../../src/sync/report';
import { createRegistryClient } from '../../src/transport/registry';
import { kimg, makeTempDir, removeTempDirs, type ProxyRequestRecord } from '../harness';
import { writeRandomImage } from '../fixtures/random-image';
import { pushLayout } from '../transport/registry-helpers';
import { startRegistryPair, writeSyncFile, type RegistryPair } from './sync-fixtures';

// How a sync resolves its sources (copy/batch-resolve.ts): a HEAD by tag, or — once images are being copied —
// a GET by tag whose bytes the copy reuses. Two real docker-registry instances, each behind a counting proxy.
const IMAGES = 6;
let ends: RegistryPair | undefined;
const pair = () => ends as RegistryPair;
let client: RegistryClient;
let syncFile: string;
let root: string;
const digests: string[] = [];
const repo = (n: number) => `res/app${n}`;

beforeAll(async () => {
  ends = await startRegistryPair();
  const { source, sourceProxy } = ends;
  client = createRegistryClient();
  const layout = await makeTempDir('kimg-resolve-seed-');
  for (let n = 0; n < IMAGES; n++) {
    await writeRandomImage(layout, { ref: `i${n}`, seed: 300 + n, layers: 1, filesPerLayer: 1 });
    const pushed = await pushLayout(client, layout, `i${n}`, `docker://${source.host}/${repo(n)}:1`);
    digests.push(pushed.images[0]?.descriptor.digest as string);
  }
  const lines = Array.from({ length: IMAGES }, (_, n) => `    ${repo(n)}: ["1"]`);
  syncFile = await writeSyncFile(`${sourceProxy.host}:\n  images:\n${lines.join('\n')}\n`);
  root = await makeTempDir('kimg-root-');
}, 60_000);
afterAll(async () => {
  await client?.close();
  await ends?.stop();
  await removeTempDirs();
});

async function sync(args: string[]): Promise<SyncReport> {
  pair().sourceProxy.reset();
  pair().targetProxy.reset();
  const result = await kimg(['sync', '-f', syncFile, ...args, '--format', 'json'], { root });
  expect(result.stderr).not.toContain('error');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as SyncReport;
}

/** Each image's manifest requests at the source, in order: `HEAD tag`, `GET digest`, `GET tag`. */
function manifestRequests(requests: ProxyRequestRecord[]): string[][] {
  return Array.from({ length: IMAGES }, (_, n) =>
    requests
      .filter((r) => r.path.startsWith(`/v2/${repo(n)}/manifests/`))
      .map((r) => `${r.method} ${r.path.includes('/manifests/sha256:') ? 'digest' : 'tag'}`),
  );
}

async function expectAt(prefix: string): Promise<void> {
  for (let n = 0; n < IMAGES; n++) {
    const found = await client.repository(pair().target.host, `${prefix}/app${n}`).headManifest('1');
    expect({ n, digest: found?.digest }).toEqual({ n, digest: digests[n] });
  }
}

const HEAD_THEN_GET = ['HEAD tag', 'GET digest'];
const ONE_GET = ['GET tag'];

describe('kimg sync: source resolves', () => {
  it('a fresh sync: after the first wave, one GET by tag per copied image instead of HEAD + GET', async () => {
    const report = await sync([`${pair().targetProxy.host}/mirror`, '--parallel', '2']);
    expect(report.copied).toHaveLength(IMAGES);
    // The first wave (nothing known yet) resolves by HEAD; every image started after a copy by one GET.
    expect(manifestRequests(pair().sourceProxy.requests)).toEqual([
      HEAD_THEN_GET,
      HEAD_THEN_GET,
      ...new Array(IMAGES - 2).fill(ONE_GET),
    ]);
    // The destination side is unchanged: its own tag HEADed, the manifest stored by its tag PUT.
    const atTarget = pair().targetProxy.requests.filter((r) => r.path.includes('/manifests/'));
    expect(atTarget.map((r) => r.method).sort()).toEqual([
      ...new Array(IMAGES).fill('HEAD'),
      ...new Array(IMAGES).fill('PUT'),
    ]);
    await expectAt('mirror');
  }, 60_000);

  it('a warm sync still resolves by HEAD only: no manifest GET at the source, one request per image', async () => {
    const report = await sync([`${pair().targetProxy.host}/mirror`, '--parallel', '2']);
    expect(report.skipped).toHaveLength(IMAGES);
    expect(manifestRequests(pair().sourceProxy.requests)).toEqual(new Array(IMAGES).fill(['HEAD tag']));
    const atTarget = pair().targetProxy.requests.filter((r) => r.path.includes('/manifests/'));
    expect(atTarget.map((r) => r.method)).toEqual(new Array(IMAGES).fill('HEAD'));
  }, 60_000);

  it('a mixed run is correct, and a GET is wasted only right after a copy', async () => {
    // app0, app2 and app4 are there already; one image at a time makes the order, and so the policy, exact.
    for (const n of [0, 2, 4]) {
      const copied = await kimg(
        [
          'copy',
          `docker://${pair().source.host}/${repo(n)}:1`,
          `docker://${pair().target.host}/mixed/app${n}:1`,
        ],
        { root },
      );
      expect(copied.code).toBe(0);
    }
    const report = await sync([`${pair().targetProxy.host}/mixed`, '--parallel', '1']);
    const names = (entries: { source: string }[]) =>
      entries.map((e) => e.source.replace(/^.*\/res\//, '')).sort();
    expect(names(report.skipped)).toEqual(['app0:1', 'app2:1', 'app4:1']);
    expect(names(report.copied)).toEqual(['app1:1', 'app3:1', 'app5:1']);
    expect(manifestRequests(pair().sourceProxy.requests)).toEqual([
      ['HEAD tag'], // nothing known: HEAD; present
      HEAD_THEN_GET, // after a skip: HEAD; copied
      ONE_GET, // after a copy: GET, wasted (present): at most one per copied image
      HEAD_THEN_GET,
      ONE_GET,
      HEAD_THEN_GET,
    ]);
    await expectAt('mixed');
  }, 60_000);

  it('--dry-run resolves by HEAD: no GET by tag, and no manifest GET at all when everything is there', async () => {
    await sync([`${pair().targetProxy.host}/dry`, '--dry-run', '--parallel', '2']);
    // Images to copy have their manifests read by digest, for the sizes; never resolved by GET.
    expect(manifestRequests(pair().sourceProxy.requests)).toEqual(new Array(IMAGES).fill(HEAD_THEN_GET));
    await sync([`${pair().targetProxy.host}/mirror`, '--dry-run', '--parallel', '2']);
    expect(manifestRequests(pair().sourceProxy.requests)).toEqual(new Array(IMAGES).fill(['HEAD tag']));
  }, 60_000);
});
