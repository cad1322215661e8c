import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { writeRandomImage, type FixtureImage } from '../fixtures/random-image';
import { httpRequest } from './http-request';
import { startFaultProxy, type FaultProxy } from './fault-proxy';
import { startRegistry, type RunningRegistry } from './registry';
import { skopeo } from './skopeo';
import { makeTempDir, removeTempDirs } from './temp';

// Proves the fault proxy is transparent when idle (skopeo pushes and pulls through it) and injects each fault.
let registry: RunningRegistry;
let proxy: FaultProxy;
let layout: string;
let image: FixtureImage;

beforeAll(async () => {
  registry = await startRegistry({ auth: 'htpasswd' });
  proxy = await startFaultProxy(registry.url);
  layout = await makeTempDir();
  image = await writeRandomImage(layout, { ref: 'x', seed: 13, fileSize: 64 * 1024 });
});
afterAll(async () => {
  await proxy.stop();
  await registry.stop();
  await removeTempDirs();
});

const creds = (flag: 'src' | 'dest'): string =>
  `--${flag}-creds=${registry.users[0]!.username}:${registry.users[0]!.password}`;
const authHeader = (): Record<string, string> => ({
  authorization: `Basic ${Buffer.from(`${registry.users[0]!.username}:${registry.users[0]!.password}`).toString('base64')}`,
});
const sha256 = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const blobPath = (digest: string): string => `/v2/proxied/img/blobs/${digest}`;

describe('startFaultProxy', () => {
  it('is transparent: skopeo pushes through it, uploads follow rewritten Locations, every request is counted', async () => {
    proxy.reset();
    const dest = `docker://${proxy.host}/proxied/img:1`;
    const copy = await skopeo(['copy', '--dest-tls-verify=false', creds('dest'), `oci:${layout}:x`, dest]);
    expect(copy.stderr).toBe('');
    expect(copy.code).toBe(0);
    // The upload session URL the registry returned pointed at itself; the PUT still came through the proxy.
    expect(proxy.requests.some((r) => r.method === 'PUT' && /\/blobs\/uploads\/.+digest=/.test(r.path))).toBe(
      true,
    );
    expect(proxy.requests.every((r) => r.status > 0 && r.faults.length === 0)).toBe(true);
    const manifest = await httpRequest(`${registry.url}/v2/proxied/img/manifests/1`, {
      method: 'HEAD',
      headers: { ...authHeader(), accept: image.manifestDescriptor.mediaType },
    });
    expect(manifest.headers['docker-content-digest']).toBe(image.manifestDigest);
  });

  it('answers 503 once on the first upload: skopeo 1.9 does not retry it, the proxy counted it, a rerun passes', async () => {
    proxy.reset();
    proxy.setRules([{ kind: 'status', status: 503, method: 'POST', path: /\/blobs\/uploads\/$/, times: 1 }]);
    const args = ['copy', '--retry-times=2', '--dest-tls-verify=false', creds('dest'), `oci:${layout}:x`];
    const dest = `docker://${proxy.host}/proxied/retry:1`;
    // containers/image treats "unexpected HTTP status: 503" on POST as final, even with --retry-times.
    const first = await skopeo([...args, dest]);
    expect(first.code).not.toBe(0);
    expect(first.stderr).toMatch(/503 Service Unavailable/);
    expect(proxy.requests.filter((r) => r.status === 503 && r.faults.includes('status'))).toHaveLength(1);
    const second = await skopeo([...args, dest]);
    expect(second.stderr).toBe('');
    expect(proxy.requests.filter((r) => r.status === 503)).toHaveLength(1);
  });

  it('answers 429 with Retry-After and a distribution error body, without reaching the registry', async () => {
    proxy.reset();
    proxy.setRules([{ kind: 'status', status: 429, retryAfter: '2', path: /^\/v2\/$/, nth: 2, times: 1 }]);
    const statuses = [];
    for (let i = 0; i < 3; i++)
      statuses.push(await httpRequest(`${proxy.url}/v2/`, { headers: authHeader() }));
    expect(statuses.map((r) => r.status)).toEqual([200, 429, 200]);
    expect(statuses[1]!.headers['retry-after']).toBe('2');
    expect(JSON.parse(statuses[1]!.body.toString()).errors[0].code).toBe('TOOMANYREQUESTS');
  });

  it('flips one body byte, resets mid-body and drops headers on request', async () => {
    const layer = image.layers[0]!;
    const url = `${proxy.url}${blobPath(layer.digest)}`;
    proxy.setRules([{ kind: 'corrupt-byte', offset: 100, times: 1 }]);
    const corrupt = await httpRequest(url, { headers: authHeader() });
    expect(corrupt.body.length).toBe(layer.size);
    expect(sha256(corrupt.body)).not.toBe(layer.digest);
    expect(sha256((await httpRequest(url, { headers: authHeader() })).body)).toBe(layer.digest);

    proxy.setRules([{ kind: 'reset-mid-body', afterBytes: 1000, times: 1 }]);
    await expect(httpRequest(url, { headers: authHeader() })).rejects.toThrow(
      /aborted|ECONNRESET|socket hang up/,
    );

    proxy.setRules([{ kind: 'drop-header', name: 'Docker-Content-Digest', method: 'HEAD' }]);
    const head = await httpRequest(url, { method: 'HEAD', headers: authHeader() });
    expect(head.status).toBe(200);
    expect(head.headers['docker-content-digest']).toBeUndefined();
    expect(head.headers['content-length']).toBe(String(layer.size));
  });

  it('redirects blob GETs to another origin; skopeo pulls through it and sends no credentials there', async () => {
    proxy.reset();
    proxy.setRules([{ kind: 'redirect', method: 'GET', path: /\/blobs\/sha256:/ }]);
    const out = await makeTempDir();
    const src = `docker://${proxy.host}/proxied/img:1`;
    const copy = await skopeo(['copy', '--src-tls-verify=false', creds('src'), src, `oci:${out}:y`]);
    expect(copy.stderr).toBe('');
    expect(copy.code).toBe(0);
    expect(proxy.requests.filter((r) => r.status === 307).length).toBe(image.layers.length + 1); // layers + config
    const arrived = proxy.otherOrigin.requests;
    expect(arrived.map((r) => r.path).sort()).toEqual(
      [...image.layers.map((l) => blobPath(l.digest)), blobPath(image.configDigest)].sort(),
    );
    expect(arrived.every((r) => !r.authorization && r.status === 200)).toBe(true);
  });

  it('fronts an https upstream when given its CA', async () => {
    const secure = await startRegistry({ tls: true });
    const tlsProxy = await startFaultProxy(secure.url, { upstreamCa: secure.caCertPem });
    try {
      expect((await httpRequest(`${tlsProxy.url}/v2/`)).status).toBe(200);
      expect(tlsProxy.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(['GET /v2/ 200']);
    } finally {
      await tlsProxy.stop();
      await secure.stop();
    }
  });
});
