import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { MediaType } from '../../src/manifest/media-types';
import { nextLink } from '../../src/registry/client/pagination';
import { networkError } from '../../src/registry/http/network-errors';
import { DEFAULT_TIMEOUTS, formatDuration, parseDuration } from '../../src/registry/http/timeouts';
import { removeTempDirs } from '../harness';
import { startHostileRegistry, type HostileRegistry, type Reply } from '../harness/hostile-registry';
import { blob, opener, readStream, testClient } from './helpers';

// Issue 9, registry client: the library-level side of test/cli/hostile-registry.test.ts (deadlines and bounds
// as RegistryClient options, referrers and catalog listings, a crafted Link header).
let registry: HostileRegistry;
beforeAll(async () => {
  registry = await startHostileRegistry();
});
afterAll(async () => {
  await registry?.stop();
  await removeTempDirs();
});
beforeEach(() => registry.reset());

const REPO = 'hostile/image';

describe('listing bounds', () => {
  it('referrers pages that never end stop at maxPages; a loop is refused', async () => {
    registry.setScript((req, reply) => {
      if (!req.path.includes('/referrers/')) return false;
      const page = Number(new URL(req.path, 'http://x').searchParams.get('page') ?? 0);
      const next = req.path.includes('loop') ? req.path : `${req.path.split('?')[0]}?page=${page + 1}`;
      const manifests = [{ mediaType: MediaType.OciManifest, digest: `sha256:${'1'.repeat(64)}`, size: 1 }];
      reply.send(
        200,
        { 'content-type': MediaType.OciIndex, link: `<${next}>; rel="next"` },
        JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests }),
      );
      return true;
    });
    const { client } = testClient({ scheme: () => 'http', listing: { maxPages: 7 } });
    try {
      await expect(
        client.repository(registry.host, REPO).referrers(registry.image.manifestDigest),
      ).rejects.toMatchObject({
        code: 'SIZE_LIMIT',
        message: expect.stringContaining('more than 7 pages'),
        hint: expect.stringContaining('--max-list-pages (or KIMG_MAX_LIST_PAGES)'),
      });
      expect(registry.requests.filter((r) => r.path.includes('/referrers/'))).toHaveLength(7);
      await expect(
        client
          .repository(registry.host, REPO)
          .referrers(registry.image.manifestDigest, { artifactType: 'loop' }),
      ).rejects.toMatchObject({
        code: 'REGISTRY_ERROR',
        message: expect.stringContaining('a page already read'),
      });
    } finally {
      await client.close();
    }
  });

  it('the catalog is bounded by maxEntries', async () => {
    registry.setScript((req, reply) => {
      if (!req.path.startsWith('/v2/_catalog')) return false;
      const page = Number(new URL(req.path, 'http://x').searchParams.get('page') ?? 0);
      const repositories = Array.from({ length: 10 }, (_, i) => `r${page}/n${i}`);
      reply.send(
        200,
        { link: `</v2/_catalog?page=${page + 1}>; rel="next"` },
        JSON.stringify({ repositories }),
      );
      return true;
    });
    const { client } = testClient({ scheme: () => 'http', listing: { maxEntries: 25 } });
    try {
      await expect(client.catalog(registry.host)).rejects.toMatchObject({
        code: 'SIZE_LIMIT',
        message: expect.stringContaining('more than 25 entries'),
      });
      expect(registry.requests.filter((r) => r.path.startsWith('/v2/_catalog'))).toHaveLength(3);
    } finally {
      await client.close();
    }
  });

  it('reads a crafted 16 KiB Link header in linear time; rel lists and quoting as RFC 8288 allows', () => {
    const base = new URL('http://r.example/v2/a/tags/list');
    const started = Date.now();
    expect(nextLink(`<a>; rel=${' '.repeat(16_000)}x`, base)).toBeUndefined();
    expect(nextLink('<'.repeat(16_000), base)).toBeUndefined();
    expect(nextLink(`<x>;${' rel="a";'.repeat(1_500)}`, base)).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(100);
    expect(nextLink('</n>; rel="prev next"', base)?.pathname).toBe('/n');
    expect(nextLink('</n>;REL = next', base)?.pathname).toBe('/n');
    expect(nextLink('</p>; rel="nextish"', base)).toBeUndefined();
  });
});

describe('deadlines (library options)', () => {
  it('a token, manifest or tags page trickling bytes fails at requestMs, naming the URL', async () => {
    registry.setScript((req, reply) => {
      if (!req.path.includes('/tags/list')) return false;
      reply.raw(
        'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{"tags":[',
      );
      const timer = setInterval(() => (reply.closed ? clearInterval(timer) : reply.raw('"')), 100);
      return true;
    });
    const { client } = testClient({ scheme: () => 'http', timeouts: { requestMs: 800, idleMs: 5_000 } });
    const started = Date.now();
    try {
      await expect(client.repository(registry.host, REPO).listTags()).rejects.toMatchObject({
        code: 'TIMEOUT',
        message: expect.stringMatching(
          /^GET http:\/\/127\.0\.0\.1:\d+\/v2\/hostile\/image\/tags\/list\?n=1000: not complete within 800 ms$/,
        ),
      });
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await client.close();
    }
  });

  it('a blob that stalls once resumes at the byte where it stopped after idleMs', async () => {
    let first = true;
    registry.setScript((req, reply, r) => {
      if (!req.path.includes(`/blobs/${r.layer.digest}`) || !first) return false;
      first = false;
      reply.raw(`HTTP/1.1 200 OK\r\ncontent-length: ${r.layer.bytes.length}\r\n\r\n`);
      reply.raw(r.layer.bytes.subarray(0, 5000));
      return true;
    });
    const { client } = testClient({ scheme: () => 'http', timeouts: { idleMs: 500 } });
    try {
      const desc = {
        mediaType: MediaType.OciLayer,
        digest: registry.layer.digest,
        size: registry.layer.bytes.length,
      };
      const bytes = await readStream(await client.repository(registry.host, REPO).fetchBlob(desc));
      expect(bytes.equals(registry.layer.bytes)).toBe(true);
      expect(registry.requests.filter((r) => r.path.includes('/blobs/')).map((r) => r.headers.range)).toEqual(
        [undefined, 'bytes=5000-'],
      );
    } finally {
      await client.close();
    }
  });
});

describe('bodies nobody should wait for on the blob lane', () => {
  const trickle = (reply: Reply, head: string) => {
    reply.raw(head);
    const timer = setInterval(() => (reply.closed ? clearInterval(timer) : reply.raw(' ')), 100);
  };
  const layerDesc = () => ({
    mediaType: MediaType.OciLayer,
    digest: registry.layer.digest,
    size: registry.layer.bytes.length,
  });

  it('an error body that trickles is cut at requestMs and the status reported', async () => {
    registry.setScript((req, reply, r) => {
      if (!req.path.includes(`/blobs/${r.layer.digest}`)) return false;
      trickle(reply, 'HTTP/1.1 404 X\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n');
      return true;
    });
    const { client } = testClient({ scheme: () => 'http', timeouts: { requestMs: 700 } });
    const started = Date.now();
    try {
      await expect(client.repository(registry.host, REPO).fetchBlob(layerDesc())).rejects.toMatchObject({
        code: 'BLOB_UNKNOWN',
      });
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await client.close();
    }
  });

  it('a redirect whose body trickles is followed after at most a second', async () => {
    registry.setScript((req, reply, r) => {
      if (!req.path.includes(`/blobs/${r.layer.digest}`) || req.path.includes('?moved')) return false;
      trickle(reply, `HTTP/1.1 307 X\r\nlocation: ${req.path}?moved\r\ncontent-length: 100000\r\n\r\n`);
      return true;
    });
    const { client } = testClient({ scheme: () => 'http' });
    const started = Date.now();
    try {
      const bytes = await readStream(await client.repository(registry.host, REPO).fetchBlob(layerDesc()));
      expect(bytes.equals(registry.layer.bytes)).toBe(true);
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await client.close();
    }
  });
});

describe('timeout settings', () => {
  it('reads durations as seconds or with a unit, and refuses what is not one', () => {
    expect(parseDuration('30', '--x')).toBe(30_000);
    expect(parseDuration('1.5', '--x')).toBe(1_500);
    expect(parseDuration('500ms', '--x')).toBe(500);
    expect(parseDuration('2m', '--x')).toBe(120_000);
    for (const bad of ['', 'soon', '-1', '0', '1h', '0.0001']) {
      expect(() => parseDuration(bad, 'KIMG_IDLE_TIMEOUT')).toThrow(
        expect.objectContaining({
          code: 'INVALID_ARGUMENT',
          message: expect.stringContaining('KIMG_IDLE_TIMEOUT'),
        }),
      );
    }
    expect(formatDuration(120_000)).toBe('2 min');
    expect(formatDuration(1_000)).toBe('1 s');
    expect(formatDuration(800)).toBe('800 ms');
  });

  it("names undici's deadline errors as TIMEOUT with the value and the flag, the URL redacted", () => {
    const url = new URL('https://u:p@r.example/v2/a/blobs/uploads/1?_state=secret&digest=sha256:x');
    const err = networkError(
      Object.assign(new Error('Headers Timeout Error'), { code: 'UND_ERR_HEADERS_TIMEOUT' }),
      'PUT',
      url,
      {
        ...DEFAULT_TIMEOUTS,
        responseMs: 600_000,
      },
    );
    expect(err).toMatchObject({
      code: 'TIMEOUT',
      message:
        'PUT https://r.example/v2/a/blobs/uploads/1?_state=REDACTED&digest=sha256%3Ax: no response headers within 10 min',
      hint: expect.stringContaining('--response-timeout (or KIMG_RESPONSE_TIMEOUT)'),
    });
    const connect = networkError(
      Object.assign(new Error('x'), { code: 'UND_ERR_CONNECT_TIMEOUT' }),
      'GET',
      url,
    );
    expect(connect.message).toContain('no connection within 30 s');
    expect(connect.message).not.toContain('secret');
  });
});

describe('the PUT that completes an upload', () => {
  it('may answer after 10x the response timeout; any other request may not', async () => {
    const data = blob('slow commit', 50_000);
    registry.setScript((req, reply) => {
      if (!req.path.includes('/blobs/')) return false;
      if (req.method === 'HEAD') {
        setTimeout(() => reply.send(404, {}), req.path.includes('slow-head') ? 2_500 : 0);
      } else if (req.method === 'POST') {
        reply.send(202, { location: `/v2/${REPO}/blobs/uploads/1` });
      } else if (req.method === 'PUT') {
        setTimeout(() => reply.send(201, { 'docker-content-digest': data.desc.digest }), 2_500);
      } else return false;
      return true;
    });
    // undici's timers tick at up to 1 s past their value: 500 ms fires well before 2.5 s, 5 s does not.
    const { client } = testClient({ scheme: () => 'http', timeouts: { responseMs: 500 } });
    try {
      const repo = client.repository(registry.host, REPO);
      await expect(repo.pushBlob(data.desc, opener(data.bytes).open)).resolves.toMatchObject({
        via: 'uploaded',
      });
      await expect(
        client.repository(registry.host, 'slow-head/x').statBlob(data.desc.digest),
      ).rejects.toMatchObject({
        code: 'TIMEOUT',
        message: expect.stringContaining('no response headers within 500 ms'),
      });
    } finally {
      await client.close();
    }
  });
});
