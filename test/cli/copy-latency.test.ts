import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { writeRandomImage, type FixtureImage } from '../fixtures/random-image';
import {
  kimg,
  kimgOk,
  makeTempDir,
  removeTempDirs,
  startFaultProxy,
  startRegistry,
  type FaultProxy,
  type ProxyRequestRecord,
  type RunningRegistry,
} from '../harness';

/**
 * `kimg copy` registry → registry over two real docker-registry instances, each behind a counting proxy
 * (issue 12 "Latency"): the requests of a copy, no https probe where a registry is configured plain http, and
 * 429/503 answers waited out and counted in the report instead of failing the copy.
 */
let work: string;
let image: FixtureImage;
let source: RunningRegistry;
let destination: RunningRegistry;
let src: FaultProxy;
let dst: FaultProxy;

beforeAll(async () => {
  work = await makeTempDir();
  image = await writeRandomImage(join(work, 'layout'), { ref: 'app', layers: 3, seed: 120 });
  [source, destination] = await Promise.all([startRegistry(), startRegistry()]);
  [src, dst] = await Promise.all([startFaultProxy(source.url), startFaultProxy(destination.url)]);
  await kimgOk(['copy', `oci:${join(work, 'layout')}:app`, `docker://${source.host}/lat/app:1`], {
    root: join(work, 'store'),
  });
}, 60_000);

afterAll(async () => {
  await src?.stop();
  await dst?.stop();
  await source?.stop();
  await destination?.stop();
  await removeTempDirs();
});

interface CopyReport {
  digest: string;
  blobsCopied: number;
  requests: number;
  retries: number;
}

/** `kimg --format json copy` from the source proxy to a fresh repository behind the destination proxy. */
async function copyThroughProxies(repo: string, flags: string[] = [], tag = '1') {
  src.reset();
  dst.reset();
  const result = await kimg(
    [
      ...flags,
      '--format',
      'json',
      'copy',
      `docker://${src.host}/lat/app:1`,
      `docker://${dst.host}/${repo}:${tag}`,
    ],
    { root: join(work, `store-${repo.replace('/', '-')}`) },
  );
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as CopyReport;
}

const byKind = (records: ProxyRequestRecord[]) =>
  records.map((r) => {
    const kind = r.path.includes('/blobs/uploads/')
      ? 'upload'
      : r.path.includes('/blobs/')
        ? 'blob'
        : r.path.includes('/manifests/sha256:')
          ? 'manifest@digest'
          : r.path.includes('/manifests/')
            ? 'manifest:tag'
            : r.path;
    return `${r.method} ${kind}`;
  });

const count = (list: string[]) => {
  const counts: Record<string, number> = {};
  for (const item of list) counts[item] = (counts[item] ?? 0) + 1;
  return counts;
};

describe('kimg copy between two registries', () => {
  it('--plain-http: no https probe, and the fewest requests (one manifest PUT, by tag)', async () => {
    const report = await copyThroughProxies('plain/app', ['--plain-http', `${src.host},${dst.host}`]);
    expect(report.digest).toBe(image.manifestDigest);
    expect(report.blobsCopied).toBe(5); // 3 layers, config, manifest
    expect(src.tlsProbes()).toBe(0);
    expect(dst.tlsProbes()).toBe(0);
    // Source: ping, resolve (HEAD by tag), the manifest by digest, 4 blobs.
    expect(count(byKind(src.requests))).toEqual({
      'GET /v2/': 1,
      'HEAD manifest:tag': 1,
      'GET manifest@digest': 1,
      'GET blob': 4,
    });
    // Destination: ping, its tag (absent: a new tag, so the manifest's digest is not asked), 4 × (HEAD, POST,
    // PUT), one manifest PUT by tag.
    expect(count(byKind(dst.requests))).toEqual({
      'GET /v2/': 1,
      'HEAD manifest:tag': 1,
      'HEAD blob': 4,
      'POST upload': 4,
      'PUT upload': 4,
      'PUT manifest:tag': 1,
    });
    expect(report.requests).toBe(src.requests.length + dst.requests.length);
    expect(report.retries).toBe(0);
  });

  it('a loopback registry (http allowed) is probed for https beside the plain ping, at no extra request', async () => {
    const report = await copyThroughProxies('probed/app');
    expect(report.digest).toBe(image.manifestDigest);
    expect(src.tlsProbes()).toBe(1);
    expect(dst.tlsProbes()).toBe(1);
    expect(src.requests).toHaveLength(7);
    expect(dst.requests).toHaveLength(15);
  });

  it('a new tag for content already there uploads nothing; a moved tag asks for the digest', async () => {
    const plain = ['--plain-http', `${src.host},${dst.host}`];
    await copyThroughProxies('again/app', plain, 'first');
    // A new tag: no digest HEAD (a new tag is new content as a rule); the blobs are found by their HEADs.
    const second = await copyThroughProxies('again/app', plain, 'second');
    expect(second.digest).toBe(image.manifestDigest);
    expect(count(byKind(dst.requests))).toEqual({
      'GET /v2/': 1,
      'HEAD manifest:tag': 1,
      'HEAD blob': 4,
      'PUT manifest:tag': 1,
    });
    // A tag that names another image (a moved `latest`): the digest is asked, and answers for every blob.
    const other = await writeRandomImage(join(work, 'other'), { ref: 'other', layers: 1, seed: 121 });
    await kimgOk(
      ['copy', `oci:${join(work, 'other')}:other`, `docker://${destination.host}/again/app:moved`],
      {
        root: join(work, 'store-other'),
      },
    );
    expect(other.manifestDigest).not.toBe(image.manifestDigest);
    const moved = await copyThroughProxies('again/app', plain, 'moved');
    expect(moved.digest).toBe(image.manifestDigest);
    expect(count(byKind(dst.requests))).toEqual({
      'GET /v2/': 1,
      'HEAD manifest:tag': 1,
      'HEAD manifest@digest': 1,
      // The tag PUT needs the manifest's exact bytes: read back where they are (pending-tags.ts).
      'GET manifest@digest': 1,
      'PUT manifest:tag': 1,
    });
    const found = await kimgOk(['inspect', '--raw', `docker://${destination.host}/again/app:moved`]);
    expect(found.stdout.length).toBeGreaterThan(0);
  });

  it('an image already there costs one request on each side, and no manifest read', async () => {
    await copyThroughProxies('again/app', ['--plain-http', `${src.host},${dst.host}`]);
    const report = await copyThroughProxies('again/app', ['--plain-http', `${src.host},${dst.host}`]);
    expect(report.blobsCopied).toBe(0);
    expect(byKind(src.requests)).toEqual(['GET /v2/', 'HEAD manifest:tag']);
    expect(byKind(dst.requests)).toEqual(['GET /v2/', 'HEAD manifest:tag']);
  });

  it('429 with Retry-After and 503s are waited out: the copy completes and the report counts the retries', async () => {
    src.reset();
    dst.reset();
    src.setRules([{ kind: 'status', status: 503, method: 'GET', path: /\/blobs\//, times: 1 }]);
    dst.setRules([
      { kind: 'status', status: 429, retryAfter: '1', method: 'HEAD', path: /\/blobs\//, times: 1 },
      { kind: 'status', status: 503, method: 'POST', times: 2 },
      { kind: 'status', status: 503, method: 'PUT', path: /\/manifests\//, times: 1 },
    ]);
    const started = Date.now();
    const result = await kimg(
      [
        '--plain-http',
        `${src.host},${dst.host}`,
        '--format',
        'json',
        'copy',
        `docker://${src.host}/lat/app:1`,
        `docker://${dst.host}/faults/app:1`,
      ],
      { root: join(work, 'store-faults') },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as CopyReport;
    expect(report.digest).toBe(image.manifestDigest);
    const injected = [...src.requests, ...dst.requests].filter((r) => r.faults.length > 0);
    expect(injected).toHaveLength(5);
    expect(report.retries).toBe(5);
    expect(report.requests).toBe(src.requests.length + dst.requests.length);
    // Retry-After: 1 was honoured.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    // The destination really has the image: read back directly, past the proxy.
    const check = await kimgOk(['--format', 'json', 'inspect', `docker://${destination.host}/faults/app:1`]);
    expect(JSON.parse(check.stdout)).toMatchObject({ digest: image.manifestDigest });
  });
});
