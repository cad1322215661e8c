import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  kimg,
  kimgOk,
  makeTempDir,
  removeTempDirs,
  REPO_ROOT,
  run,
  treeHash,
  type RunResult,
} from '../harness';
import {
  isLayerGet,
  layerHead,
  startHostileRegistry,
  type HostileRegistry,
  type Script,
} from '../harness/hostile-registry';
import { writeRandomImage } from '../fixtures/random-image';

// Issue 9, registry client classes 1–5: a registry that lies or stalls gets one error line, within a few
// seconds of the configured deadline, and the store is left byte for byte as it was.
let registry: HostileRegistry;
let layout: string;

beforeAll(async () => {
  registry = await startHostileRegistry();
  layout = await makeTempDir();
  await writeRandomImage(layout, { ref: 'base', seed: 31, layers: 1 });
});
afterAll(async () => {
  await registry?.stop();
  await removeTempDirs();
});
beforeEach(() => registry.reset());

/** A store that already holds an image (so "unchanged" means something), and its tree hash. */
async function storeWithImage(): Promise<{ root: string; before: string }> {
  const root = await makeTempDir('kimg-root-');
  await kimgOk(['copy', `oci:${layout}:base`, 'base:1'], { root });
  return { root, before: await treeHash(root) };
}

async function timed(args: string[], root: string, env: Record<string, string> = {}) {
  const started = Date.now();
  const result = await kimg(args, { root, env });
  return { result, seconds: (Date.now() - started) / 1000 };
}

/** Exit 1, exactly one error line (plus its hint), no stack. */
function expectOneErrorLine(result: RunResult, pattern: RegExp): void {
  expect(result.code).toBe(1);
  const lines = result.stderr.split('\n').filter((line) => line.startsWith('kimg: error:'));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stderr).not.toMatch(/internal error|Unhandled|ERR_UNHANDLED/i);
}

const layerBody = () => registry.layer.bytes;

/** Every GET of the layer (first request and every resume) gets the same lie. */
const faults: Record<string, { script: Script; error: RegExp }> = {
  'a body shorter than its Content-Length, then FIN': {
    script: (req, reply, r) => {
      if (!isLayerGet(req, r)) return false;
      reply.raw(layerHead(r, { 'content-length': String(layerBody().length) }));
      reply.raw(layerBody().subarray(0, layerBody().length - 100));
      reply.end();
      return true;
    },
    error: /GET http:\/\/127\.0\.0\.1:\d+\/v2\/hostile\/image\/blobs\/sha256:[0-9a-f]{64}: other side closed/,
  },
  'a body longer than its Content-Length': {
    script: (req, reply, r) => {
      if (!isLayerGet(req, r)) return false;
      reply.raw(layerHead(r, { 'content-length': String(layerBody().length - 100) }));
      reply.raw(layerBody());
      return true;
    },
    error: /size mismatch for blob sha256:[0-9a-f]{64} .*expected 265728 bytes, got 265628/,
  },
  'a connection reset after 1 KiB': {
    script: (req, reply, r) => {
      if (!isLayerGet(req, r)) return false;
      reply.raw(layerHead(r, { 'content-length': String(layerBody().length) }));
      reply.raw(layerBody().subarray(0, 1024));
      setTimeout(() => reply.destroy(), 20);
      return true;
    },
    error: /GET http:\/\/127\.0\.0\.1:\d+\/v2\/hostile\/image\/blobs\/sha256:[0-9a-f]{64}: other side closed/,
  },
  'a chunked body that ends cleanly after 1 KiB': {
    script: (req, reply, r) => {
      if (!isLayerGet(req, r)) return false;
      reply.raw(layerHead(r, { 'transfer-encoding': 'chunked' }));
      reply.raw(
        Buffer.concat([Buffer.from('400\r\n'), layerBody().subarray(0, 1024), Buffer.from('\r\n0\r\n\r\n')]),
      );
      return true;
    },
    error: /size mismatch for blob sha256:[0-9a-f]{64} .*expected 265728 bytes, got 1024/,
  },
};

describe('bodies that lie (class 1)', () => {
  for (const [name, fault] of Object.entries(faults)) {
    it(`${name}: one error line, exit 1, the store unchanged`, async () => {
      const { root, before } = await storeWithImage();
      registry.setScript(fault.script);
      const { result, seconds } = await timed(['pull', registry.reference], root);
      expectOneErrorLine(result, fault.error);
      expect(seconds).toBeLessThan(10);
      // Resumed with Range before giving up (the spec allows it on blobs).
      expect(registry.requests.some((r) => isLayerGet(r, registry) && r.headers.range)).toBe(true);
      expect(await treeHash(root)).toBe(before);
      expect(existsSync(join(root, '.kimg', 'blob-locations.json'))).toBe(false);
    });
  }

  it('a drop after 1 KiB resumes with Range at byte 1024 and the pull succeeds', async () => {
    const { root } = await storeWithImage();
    registry.setScript((req, reply, r) => {
      if (!isLayerGet(req, r) || req.headers.range) return false;
      reply.raw(layerHead(r, { 'content-length': String(layerBody().length) }));
      reply.raw(layerBody().subarray(0, 1024));
      setTimeout(() => reply.destroy(), 20);
      return true;
    });
    const { result } = await timed(['pull', registry.reference], root);
    expect(result.stderr).not.toMatch(/error/);
    expect(result.code).toBe(0);
    const ranges = registry.requests.filter((r) => isLayerGet(r, registry)).map((r) => r.headers.range);
    expect(ranges).toEqual([undefined, 'bytes=1024-']);
    // Written only now that the pull committed.
    expect(existsSync(join(root, '.kimg', 'blob-locations.json'))).toBe(true);
  });
});

describe('deadlines (class 2)', () => {
  it('headers that never come: fails after --response-timeout, naming the URL and the flag', async () => {
    const { root, before } = await storeWithImage();
    registry.setScript((req) => req.path.includes('/manifests/')); // read, never answered
    const { result, seconds } = await timed(['--response-timeout', '1', 'pull', registry.reference], root);
    expectOneErrorLine(
      result,
      /HEAD http:\/\/127\.0\.0\.1:\d+\/v2\/hostile\/image\/manifests\/1: no response headers within 1 s/,
    );
    expect(result.stderr).toContain('--response-timeout (or KIMG_RESPONSE_TIMEOUT)');
    expect(seconds).toBeLessThan(5);
    expect(await treeHash(root)).toBe(before);
  });

  it('a manifest at one byte per 300 ms: fails after the whole-request deadline (env)', async () => {
    const { root, before } = await storeWithImage();
    registry.setScript((req, reply, r) => {
      if (!req.path.includes('/manifests/')) return false;
      const head = `HTTP/1.1 200 OK\r\ncontent-type: application/vnd.oci.image.manifest.v1+json\r\ncontent-length: ${r.manifestBytes.length}\r\n\r\n`;
      reply.raw(head);
      if (req.method === 'HEAD') return true; // no digest header: the client GETs it
      let sent = 0;
      const timer = setInterval(() => {
        if (reply.closed || sent >= r.manifestBytes.length) return clearInterval(timer);
        reply.raw(r.manifestBytes.subarray(sent, ++sent));
      }, 300);
      return true;
    });
    const { result, seconds } = await timed(['pull', registry.reference], root, {
      KIMG_REQUEST_TIMEOUT: '2s',
    });
    expectOneErrorLine(
      result,
      /GET http:\/\/127\.0\.0\.1:\d+\/v2\/hostile\/image\/manifests\/1: not complete within 2 s/,
    );
    expect(result.stderr).toContain('--request-timeout (or KIMG_REQUEST_TIMEOUT)');
    expect(seconds).toBeGreaterThan(1.9);
    expect(seconds).toBeLessThan(6);
    expect(await treeHash(root)).toBe(before);
  });

  /** The layer's first response sends 1 KiB and then nothing; resumes send headers and nothing, or all. */
  const stall =
    (resumeServes: boolean): Script =>
    (req, reply, r) => {
      if (!isLayerGet(req, r)) return false;
      if (req.headers.range && resumeServes) return false;
      reply.raw(layerHead(r, { 'content-length': String(layerBody().length) }));
      if (!req.headers.range) reply.raw(layerBody().subarray(0, 1024));
      return true;
    };

  it('a blob body that stalls resumes with Range after --idle-timeout', async () => {
    const { root } = await storeWithImage();
    registry.setScript(stall(true));
    const { result, seconds } = await timed(['--idle-timeout', '1', 'pull', registry.reference], root);
    expect(result.stderr).not.toMatch(/error/);
    expect(result.code).toBe(0);
    expect(seconds).toBeLessThan(6);
    const ranges = registry.requests.filter((r) => isLayerGet(r, registry)).map((r) => r.headers.range);
    expect(ranges).toEqual([undefined, 'bytes=1024-']);
  });

  it('a blob body that stalls on every resume fails naming the idle timeout; the store unchanged', async () => {
    const { root, before } = await storeWithImage();
    registry.setScript(stall(false));
    const { result, seconds } = await timed(['pull', registry.reference], root, { KIMG_IDLE_TIMEOUT: '1' });
    expectOneErrorLine(
      result,
      /GET http:\/\/127\.0\.0\.1:\d+\/v2\/hostile\/image\/blobs\/sha256:[0-9a-f]{64}: (no data|less than 1024 bytes) within 1 s/,
    );
    expect(result.stderr).toContain('--idle-timeout (or KIMG_IDLE_TIMEOUT)');
    // Silence trips undici's idle timer or the low-speed check, whichever ticks first (both 1 s).
    // 1 + 5 stalled resumes of ≤ 1 s each (undici's timers tick at 1 s), plus the start of the process.
    expect(seconds).toBeLessThan(15);
    expect(await treeHash(root)).toBe(before);
  });

  it('a blob that trickles (1 byte per 100 ms) counts as stalled and fails after its resumes', async () => {
    const { root, before } = await storeWithImage();
    registry.setScript((req, reply, r) => {
      if (!isLayerGet(req, r)) return false;
      reply.raw(layerHead(r, { 'content-length': String(layerBody().length) }));
      let sent = 0;
      const timer = setInterval(() => {
        if (reply.closed) return clearInterval(timer);
        reply.raw(layerBody().subarray(sent, ++sent));
      }, 100);
      return true;
    });
    const { result, seconds } = await timed(['--idle-timeout', '1', 'pull', registry.reference], root);
    expectOneErrorLine(result, /blobs\/sha256:[0-9a-f]{64}: less than 1024 bytes within 1 s/);
    expect(result.stderr).toContain('--idle-timeout (or KIMG_IDLE_TIMEOUT)');
    // 5 slow bodies in a row (the first and 4 re-opens), one 1 s window each.
    expect(seconds).toBeLessThan(12);
    expect(registry.requests.filter((r) => isLayerGet(r, registry))).toHaveLength(5);
    expect(await treeHash(root)).toBe(before);
  });

  it('a TLS handshake that never completes fails after --connect-timeout', async () => {
    const { root, before } = await storeWithImage();
    registry.silentOnTls = true;
    const { result, seconds } = await timed(['--connect-timeout', '1', 'pull', registry.reference], root);
    expectOneErrorLine(result, /GET https:\/\/127\.0\.0\.1:\d+\/v2\/: no connection within 1 s/);
    expect(result.stderr).toContain('--connect-timeout (or KIMG_CONNECT_TIMEOUT)');
    expect(seconds).toBeLessThan(5);
    expect(await treeHash(root)).toBe(before);
  });

  it('a timeout that is not a duration is a usage error', async () => {
    const root = await makeTempDir('kimg-root-');
    const result = await kimg(['--connect-timeout', 'soon', 'pull', registry.reference], { root });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--connect-timeout: "soon" is not a duration');
  });
});

describe('listings that never end (class 3)', () => {
  /** Every tags page links to a new page, each holding 1,000 tags of 100 characters. */
  const endlessTags: Script = (req, reply) => {
    if (!req.path.includes('/tags/list')) return false;
    const page = Number(new URL(req.path, 'http://x').searchParams.get('page') ?? 0);
    const tags = Array.from({ length: 1000 }, (_, i) => `p${page}-${i}-`.padEnd(100, 'x'));
    const link = `</v2/hostile/image/tags/list?n=1000&page=${page + 1}>; rel="next"`;
    reply.send(
      200,
      { 'content-type': 'application/json', link },
      JSON.stringify({ name: 'hostile/image', tags }),
    );
    return true;
  };

  it('a Link: rel="next" that keeps going stops at --max-list-pages', async () => {
    const root = await makeTempDir('kimg-root-');
    registry.setScript(endlessTags);
    const { result, seconds } = await timed(
      ['--max-list-pages', '50', 'tags', `docker://${registry.host}/hostile/image`],
      root,
    );
    expectOneErrorLine(
      result,
      /listing tags of 127\.0\.0\.1:\d+\/hostile\/image: the registry lists more than 50 pages/,
    );
    expect(result.stderr).toContain('--max-list-pages (or KIMG_MAX_LIST_PAGES)');
    expect(registry.requests.filter((r) => r.path.includes('/tags/list'))).toHaveLength(50);
    expect(seconds).toBeLessThan(10);
  });

  it('with the default bounds, the entry cap stops it with bounded memory (peak RSS)', async () => {
    const root = await makeTempDir('kimg-root-');
    registry.setScript(endlessTags);
    const started = Date.now();
    const result = await run(
      '/usr/bin/time',
      [
        '-v',
        process.execPath,
        join(REPO_ROOT, 'bin', 'kimg'),
        'tags',
        `docker://${registry.host}/hostile/image`,
      ],
      { env: { ...process.env, KIMG_ROOT: root } },
    );
    expectOneErrorLine(result, /the registry lists more than 500000 entries/);
    expect(result.stderr).toContain('--max-list-entries (or KIMG_MAX_LIST_ENTRIES)');
    const peakKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(result.stderr)?.[1]);
    // 500,000 names of 100 characters: ~50 MB of strings, not gigabytes.
    expect(peakKb).toBeGreaterThan(0);
    expect(peakKb).toBeLessThan(400 * 1024);
    expect((Date.now() - started) / 1000).toBeLessThan(30);
  });

  it('a Link back to a page already read is a loop, reported (env bound on entries applies too)', async () => {
    const root = await makeTempDir('kimg-root-');
    registry.setScript((req, reply) => {
      if (!req.path.includes('/tags/list')) return false;
      const link = '</v2/hostile/image/tags/list?n=1000>; rel="next"';
      reply.send(200, { 'content-type': 'application/json', link }, '{"tags":["a","b"]}');
      return true;
    });
    const looped = await timed(['tags', `docker://${registry.host}/hostile/image`], root);
    expectOneErrorLine(
      looped.result,
      /next-page link leads back to http:\/\/127\.0\.0\.1:\d+\/v2\/hostile\/image\/tags\/list\?n=1000, a page already read/,
    );
    const capped = await timed(['tags', `docker://${registry.host}/hostile/image`], root, {
      KIMG_MAX_LIST_ENTRIES: '1',
    });
    expectOneErrorLine(capped.result, /the registry lists more than 1 entries/);
    expect(capped.result.stderr).toContain('--max-list-entries (or KIMG_MAX_LIST_ENTRIES)');
  });
});

describe('credentials in references (class 4)', () => {
  it('docker://user:password@host/repo:tag is refused and the password never printed, with --debug too', async () => {
    const { root, before } = await storeWithImage();
    const secret = 's3cretpw';
    const withPassword = `docker://user:${secret}@${registry.host}/hostile/image`;
    for (const args of [
      ['pull', `${withPassword}:1`],
      ['--debug', 'pull', `${withPassword}:1`],
      ['copy', `${withPassword}:1`, `oci:${root}/out:x`],
      ['--debug', 'inspect', `${withPassword}:1`],
      ['tags', withPassword],
    ]) {
      const result = await kimg(args, { root });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`invalid reference "REDACTED@${registry.host}/hostile/image`);
      expect(result.stderr + result.stdout).not.toContain(secret);
    }
    // Nothing was asked of the registry, nothing written.
    expect(registry.requests).toHaveLength(0);
    expect(await treeHash(root)).toBe(before);
  });

  it('kimg login/logout with user:password@ in the registry argument never print the password', async () => {
    const { root } = await storeWithImage();
    const secret = 's3cretpw';
    for (const args of [
      ['login', `https://user:${secret}@${registry.host}`, '-u', 'x', '--password-stdin'],
      ['logout', `user:${secret}@${registry.host}`],
    ]) {
      const result = await kimg(args, { root, input: 'pw\n' });
      expect(result.code).not.toBe(0);
      expect(result.stderr + result.stdout).not.toContain(secret);
    }
  });
});
