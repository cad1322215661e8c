import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { httpRequest, removeTempDirs, skopeo } from '../harness';
import { rawGet } from './raw-http';
import { writeServeFixture, ARTIFACT_TYPE, type ServeFixture } from './serve-fixtures';
import { pull, sha256, startServe, type ServeProcess } from './serve-process';

// `kimg registry serve DIR` over a storage written by registry-dir: (the copy engine), read by skopeo — a peer
// client — and by raw HTTP where the exact statuses and headers are the point.
let fixture: ServeFixture;
let server: ServeProcess;

beforeAll(async () => {
  fixture = await writeServeFixture();
  server = await startServe([fixture.storage]);
});
afterAll(async () => {
  await server?.stop();
  await removeTempDirs();
});

describe('kimg registry serve DIR, read by skopeo', () => {
  it('prints the URL it listens on, on loopback', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('skopeo inspect and skopeo copy get every image with its original digest', async () => {
    for (const [name, digest] of fixture.images) {
      const inspect = await skopeo([
        'inspect',
        '--raw',
        '--tls-verify=false',
        `docker://${server.host}/${name}`,
      ]);
      expect(inspect.code).toBe(0);
      expect(sha256(Buffer.from(inspect.stdout))).toBe(digest);
      expect(await pull(server.host, name)).toBe(digest);
    }
  });

  it('a multi-arch index is served by digest, and its children by theirs', async () => {
    expect(await pull(server.host, `library/multi@${fixture.multi.index.digest}`)).toBe(
      fixture.multi.index.digest,
    );
    const child = fixture.multi.children[1]!.manifestDigest;
    const res = await httpRequest(`${server.url}/v2/library/multi/manifests/${child}`);
    expect(res.status).toBe(200);
    expect(res.headers['docker-content-digest']).toBe(child);
    expect(sha256(res.body)).toBe(child);
  });

  it('8 concurrent skopeo clients all get their images', async () => {
    const names = [...fixture.images.keys()];
    const jobs = Array.from({ length: 8 }, (_, i) => names[i % names.length] as string);
    const digests = await Promise.all(jobs.map((name) => pull(server.host, name)));
    expect(digests).toEqual(jobs.map((name) => fixture.images.get(name)));
  });
});

describe('the distribution API, as the spec and the CNCF registry answer', () => {
  it('GET /v2/ is {} with the API version header', async () => {
    const res = await httpRequest(`${server.url}/v2/`);
    expect(res.status).toBe(200);
    expect(res.headers['docker-distribution-api-version']).toBe('registry/2.0');
    expect(JSON.parse(res.body.toString())).toEqual({});
  });

  it('manifests: stored bytes, own media type, digest, length, ETag; HEAD without body; 304', async () => {
    const url = `${server.url}/v2/team/tool/manifests/2`;
    const get = await httpRequest(url);
    expect(get.status).toBe(200);
    expect(get.headers['content-type']).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(get.headers['docker-content-digest']).toBe(fixture.tool.manifestDigest);
    expect(get.headers.etag).toBe(`"${fixture.tool.manifestDigest}"`);
    expect(Number(get.headers['content-length'])).toBe(get.body.length);
    const head = await httpRequest(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers['content-length']).toBe(get.headers['content-length']);
    const again = await httpRequest(url, {
      headers: { 'If-None-Match': `"${fixture.tool.manifestDigest}"` },
    });
    expect(again.status).toBe(304);
    const index = await httpRequest(`${server.url}/v2/library/multi/manifests/1`);
    expect(index.headers['content-type']).toBe('application/vnd.oci.image.index.v1+json');
  });

  it('blobs: Range → 206 with Content-Range, suffix ranges, 416 past the end, HEAD', async () => {
    const layer = fixture.app.layers[0]!;
    const url = `${server.url}/v2/library/app/blobs/${layer.digest}`;
    const whole = await httpRequest(url);
    expect(whole.status).toBe(200);
    expect(whole.headers['accept-ranges']).toBe('bytes');
    expect(sha256(whole.body)).toBe(layer.digest);
    const part = await httpRequest(url, { headers: { Range: 'bytes=10-99' } });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 10-99/${layer.size}`);
    expect(part.body.equals(whole.body.subarray(10, 100))).toBe(true);
    const open = await httpRequest(url, { headers: { Range: `bytes=${layer.size - 5}-` } });
    expect(open.body.equals(whole.body.subarray(layer.size - 5))).toBe(true);
    const suffix = await httpRequest(url, { headers: { Range: 'bytes=-7' } });
    expect(suffix.status).toBe(206);
    expect(suffix.body.equals(whole.body.subarray(layer.size - 7))).toBe(true);
    const past = await httpRequest(url, { headers: { Range: `bytes=${layer.size}-` } });
    expect(past.status).toBe(416);
    expect(past.headers['content-range']).toBe(`bytes */${layer.size}`);
    const multi = await httpRequest(url, { headers: { Range: 'bytes=0-1,5-6' } });
    expect(multi.status).toBe(200);
    expect(multi.body.length).toBe(layer.size);
    const head = await httpRequest(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers['content-length'])).toBe(layer.size);
    expect(head.headers['docker-content-digest']).toBe(layer.digest);
  });

  it('a blob is served only from a repository that links it', async () => {
    // tool's layers are stored in the same blob store but not linked in library/app.
    const foreign = fixture.tool.layers[0]!.digest;
    const res = await httpRequest(`${server.url}/v2/library/app/blobs/${foreign}`);
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body.toString()).errors[0].code).toBe('BLOB_UNKNOWN');
    expect((await httpRequest(`${server.url}/v2/team/tool/blobs/${foreign}`)).status).toBe(200);
  });

  it('tags/list and _catalog paginate with n/last and Link rel="next"', async () => {
    const seen: string[] = [];
    let next: string | undefined = '/v2/library/app/tags/list?n=2';
    let pages = 0;
    while (next) {
      const res = await httpRequest(`${server.url}${next}`);
      expect(res.status).toBe(200);
      const body = JSON.parse(res.body.toString()) as { name: string; tags: string[] };
      expect(body.name).toBe('library/app');
      expect(body.tags.length).toBeLessThanOrEqual(2);
      seen.push(...body.tags);
      next = /^<([^>]+)>; rel="next"$/.exec(String(res.headers.link ?? ''))?.[1];
      pages++;
    }
    const all = [...fixture.images.keys()]
      .filter((n) => n.startsWith('library/app:'))
      .map((n) => n.split(':')[1]);
    expect(seen).toEqual([...all].sort());
    expect(pages).toBe(3);
    const catalog = await httpRequest(`${server.url}/v2/_catalog?n=1&last=library/app`);
    expect(JSON.parse(catalog.body.toString())).toEqual({ repositories: ['library/multi'] });
    expect(catalog.headers.link).toBe('</v2/_catalog?last=library%2Fmulti&n=1>; rel="next"');
    const full = await httpRequest(`${server.url}/v2/_catalog`);
    expect(JSON.parse(full.body.toString())).toEqual({
      repositories: ['library/app', 'library/multi', 'team/tool'],
    });
    const bad = await httpRequest(`${server.url}/v2/_catalog?n=-1`);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body.toString()).errors[0].code).toBe('PAGINATION_NUMBER_INVALID');
  });

  it('referrers: an index of the manifests whose subject is the digest, filtered by artifactType', async () => {
    const url = `${server.url}/v2/library/app/referrers/${fixture.app.manifestDigest}`;
    const res = await httpRequest(url);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/vnd.oci.image.index.v1+json');
    const index = JSON.parse(res.body.toString());
    expect(index.manifests).toEqual([
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: fixture.referrer.digest,
        size: fixture.referrer.size,
        artifactType: ARTIFACT_TYPE,
        annotations: { 'org.example.kind': 'sbom' },
      },
    ]);
    const filtered = await httpRequest(`${url}?artifactType=${encodeURIComponent(ARTIFACT_TYPE)}`);
    expect(filtered.headers['oci-filters-applied']).toBe('artifactType');
    expect(JSON.parse(filtered.body.toString()).manifests).toHaveLength(1);
    const other = await httpRequest(`${url}?artifactType=application%2Fother`);
    expect(JSON.parse(other.body.toString()).manifests).toEqual([]);
    const none = await httpRequest(`${server.url}/v2/team/tool/referrers/${fixture.tool.manifestDigest}`);
    expect(none.status).toBe(200);
    expect(JSON.parse(none.body.toString()).manifests).toEqual([]);
  });

  it('errors are the spec JSON with the right statuses; writes are 405 UNSUPPORTED', async () => {
    const code = async (path: string, method = 'GET') => {
      const res = await httpRequest(`${server.url}${path}`, { method });
      return [res.status, JSON.parse(res.body.toString()).errors[0].code];
    };
    expect(await code('/v2/library/app/manifests/nope')).toEqual([404, 'MANIFEST_UNKNOWN']);
    expect(await code(`/v2/library/app/manifests/sha256:${'0'.repeat(64)}`)).toEqual([
      404,
      'MANIFEST_UNKNOWN',
    ]);
    expect(await code('/v2/nothing/here/manifests/1')).toEqual([404, 'NAME_UNKNOWN']);
    expect(await code('/v2/nothing/tags/list')).toEqual([404, 'NAME_UNKNOWN']);
    expect(await code(`/v2/library/app/blobs/sha256:${'1'.repeat(64)}`)).toEqual([404, 'BLOB_UNKNOWN']);
    expect(await code('/v2/library/app/blobs/sha256:xyz')).toEqual([400, 'DIGEST_INVALID']);
    expect(await code('/v2/Library/App/manifests/1')).toEqual([400, 'NAME_INVALID']);
    expect(await code('/v2/library/app/manifests/1', 'PUT')).toEqual([405, 'UNSUPPORTED']);
    expect(await code('/v2/library/app/manifests/1', 'DELETE')).toEqual([405, 'UNSUPPORTED']);
    expect(await code('/v2/library/app/blobs/uploads/', 'POST')).toEqual([405, 'UNSUPPORTED']);
  });

  it('paths that climb, encode dots or carry NUL are refused and never leave the storage', async () => {
    const passwd = await readFile('/etc/passwd', 'utf8');
    const attacks = [
      '/v2/../../etc/passwd',
      '/v2/../../../../../../etc/passwd',
      '/v2/a/blobs/sha256:../../x',
      `/v2/library/app/blobs/sha256:../../../../../../etc/passwd`,
      '/v2/%2e%2e/%2e%2e/etc/passwd',
      '/v2/library/%2e%2e/%2e%2e/%2e%2e/manifests/1',
      '/v2/library/app/manifests/..%2f..%2f..%2fetc%2fpasswd',
      '/v2/library/app/blobs/sha256%3a..%2f..%2fetc',
      '/v2/library/app%00/manifests/1',
      '/v2/_layers/manifests/1',
      '/v2/library/app/_manifests/tags/1/current/link',
      '/v2/library/app/tags/../../../../etc/passwd',
      '/etc/passwd',
    ];
    for (const path of attacks) {
      const res = await rawGet(server.host, path);
      expect([400, 404]).toContain(res.status);
      expect(res.body).not.toContain(passwd.slice(0, 20));
    }
    // The server still serves after all that.
    expect((await httpRequest(`${server.url}/v2/`)).status).toBe(200);
  });

  it('--debug logs one line per request: method, path, status, bytes, milliseconds', async () => {
    const own = await startServe([fixture.storage, '--debug']);
    try {
      const manifest = await httpRequest(`${own.url}/v2/team/tool/manifests/2`);
      await httpRequest(`${own.url}/v2/team/tool/manifests/nope`, { method: 'HEAD' });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(own.stderr()).toMatch(
        new RegExp(`kimg: debug: GET /v2/team/tool/manifests/2 → 200 ${manifest.body.length} B \\d+ ms\n`),
      );
      expect(own.stderr()).toMatch(/kimg: debug: HEAD \/v2\/team\/tool\/manifests\/nope → 404 0 B \d+ ms\n/);
    } finally {
      await own.stop();
    }
  });
});
