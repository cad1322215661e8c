import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, symlink, truncate, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { httpRequest, makeTempDir, removeTempDirs, runOk } from '../harness';
import { openFds, peakRssMiB, startServe, type ServeProcess } from './serve-process';

// A storage whose files lie (symlinks out, FIFOs, huge links, damaged manifests) and clients that misbehave
// (disconnect mid-blob), against `kimg registry serve DIR` as a separate process whose fds and RSS we read.
const BIG_BYTES = 256 * 1024 * 1024;
let storage: string;
let outside: string;
let server: ServeProcess;
let bigDigest: string;

const v2 = () => join(storage, 'docker', 'registry', 'v2');
const hexOf = (seed: string) => createHash('sha256').update(seed).digest('hex');
const blobData = (hex: string) => join(v2(), 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
const layerLink = (repo: string, hex: string) =>
  join(v2(), 'repositories', repo, '_layers', 'sha256', hex, 'link');

async function put(path: string, content: string | Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
}

async function linkBlob(repo: string, hex: string): Promise<void> {
  await put(layerLink(repo, hex), `sha256:${hex}`);
  await mkdir(join(v2(), 'repositories', repo, '_manifests'), { recursive: true });
}

beforeAll(async () => {
  storage = await makeTempDir('kimg-serve-hostile-');
  outside = await makeTempDir('kimg-serve-outside-');
  await writeFile(join(outside, 'secret'), 'TOP-SECRET-OUTSIDE');

  // A 256 MiB blob as a sparse file (no disk), its real digest.
  const bigHex = await (async () => {
    const path = join(outside, 'big');
    await writeFile(path, '');
    await truncate(path, BIG_BYTES);
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }))
      hash.update(chunk as Buffer);
    return hash.digest('hex');
  })();
  await mkdir(dirname(blobData(bigHex)), { recursive: true });
  await writeFile(blobData(bigHex), '');
  await truncate(blobData(bigHex), BIG_BYTES);
  await linkBlob('big', bigHex);
  bigDigest = `sha256:${bigHex}`;

  // The blob's data is a symlink to a file outside the storage.
  await linkBlob('evil', hexOf('symlinked-data'));
  await mkdir(dirname(blobData(hexOf('symlinked-data'))), { recursive: true });
  await symlink(join(outside, 'secret'), blobData(hexOf('symlinked-data')));
  // The link file itself is a symlink (to a file holding a valid link).
  await put(join(outside, 'link'), `sha256:${hexOf('symlinked-link')}`);
  await put(blobData(hexOf('symlinked-link')), 'TOP-SECRET-INSIDE');
  await mkdir(dirname(layerLink('evil', hexOf('symlinked-link'))), { recursive: true });
  await symlink(join(outside, 'link'), layerLink('evil', hexOf('symlinked-link')));
  // The blob's fan-out directory is a symlink out of the storage.
  const fanned = hexOf('symlinked-dir');
  await linkBlob('evil', fanned);
  await put(join(outside, 'fan', fanned, 'data'), 'TOP-SECRET-DIR');
  await mkdir(join(v2(), 'blobs', 'sha256'), { recursive: true });
  await symlink(join(outside, 'fan'), join(v2(), 'blobs', 'sha256', fanned.slice(0, 2)));
  // A FIFO where a blob should be: opening it must not block the server.
  const fifo = hexOf('fifo');
  await linkBlob('evil', fifo);
  await mkdir(dirname(blobData(fifo)), { recursive: true });
  await runOk('mkfifo', [blobData(fifo)]);
  // A link file of 1 MiB.
  await put(layerLink('evil', hexOf('huge-link')), Buffer.alloc(1 << 20, 'a'));
  await put(blobData(hexOf('huge-link')), 'x');
  // A repository that is a symlink to a full repository tree outside.
  const tagHex = hexOf('outside-manifest');
  await put(join(outside, 'repo', '_manifests', 'tags', '1', 'current', 'link'), `sha256:${tagHex}`);
  await put(join(outside, 'repo', '_manifests', 'revisions', 'sha256', tagHex, 'link'), `sha256:${tagHex}`);
  await symlink(join(outside, 'repo'), join(v2(), 'repositories', 'linked'));
  // A manifest whose stored bytes do not match its digest.
  const damaged = hexOf('damaged');
  await put(
    join(v2(), 'repositories', 'damaged', '_manifests', 'tags', '1', 'current', 'link'),
    `sha256:${damaged}`,
  );
  await put(
    join(v2(), 'repositories', 'damaged', '_manifests', 'revisions', 'sha256', damaged, 'link'),
    `sha256:${damaged}`,
  );
  await put(blobData(damaged), '{"schemaVersion":2}');

  server = await startServe([storage]);
});
afterAll(async () => {
  await server?.stop();
  await removeTempDirs();
});

describe('storage files that lie', () => {
  it('symlinks out of the storage, FIFOs and oversized links are unknown blobs, never their content', async () => {
    for (const seed of ['symlinked-data', 'symlinked-link', 'symlinked-dir', 'fifo', 'huge-link']) {
      const started = Date.now();
      const res = await httpRequest(`${server.url}/v2/evil/blobs/sha256:${hexOf(seed)}`, { timeoutMs: 5000 });
      expect([seed, res.status]).toEqual([seed, 404]);
      expect(res.body.toString()).not.toContain('TOP-SECRET');
      expect(Date.now() - started).toBeLessThan(2000);
    }
  });

  it('a repository symlinked from outside is neither listed nor served', async () => {
    const catalog = JSON.parse((await httpRequest(`${server.url}/v2/_catalog`)).body.toString());
    expect(catalog.repositories).not.toContain('linked');
    const res = await httpRequest(`${server.url}/v2/linked/manifests/1`);
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body.toString()).errors[0].code).toBe('NAME_UNKNOWN');
  });

  it('a manifest whose bytes do not match its digest is a 500, not served as that digest', async () => {
    const res = await httpRequest(`${server.url}/v2/damaged/manifests/1`);
    expect(res.status).toBe(500);
    expect(res.body.toString()).toContain('do not match its digest');
  });
});

describe('clients that misbehave, resources that must stay flat', () => {
  it('a client that disconnects mid-blob releases the file; others are served meanwhile', async () => {
    const url = `${server.url}/v2/big/blobs/${bigDigest}`;
    const before = await openFds(server.pid);
    // Read 4 MiB of the 256 MiB blob, then drop the connection.
    await new Promise<void>((resolve, reject) => {
      const req = request(url, { agent: false }, (res) => {
        let got = 0;
        res.on('data', (chunk: Buffer) => {
          got += chunk.length;
          if (got >= 4 << 20) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on('error', (err) =>
        (err as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve() : reject(err),
      );
      req.end();
    });
    expect((await httpRequest(`${server.url}/v2/`)).status).toBe(200);
    let after = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 50 && after > before; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      after = await openFds(server.pid);
    }
    expect(after).toBeLessThanOrEqual(before);
    expect(server.child.exitCode).toBeNull();
  });

  it('peak RSS stays flat while serving a 256 MiB blob twice at once (< 150 MiB)', async () => {
    const url = `${server.url}/v2/big/blobs/${bigDigest}`;
    const drain = () =>
      new Promise<string>((resolve, reject) => {
        const hash = createHash('sha256');
        request(url, { agent: false }, (res) => {
          res.on('data', (chunk: Buffer) => hash.update(chunk));
          res.on('end', () => resolve(`sha256:${hash.digest('hex')}`));
          res.on('error', reject);
        })
          .on('error', reject)
          .end();
      });
    expect(await Promise.all([drain(), drain()])).toEqual([bigDigest, bigDigest]);
    expect(await peakRssMiB(server.pid)).toBeLessThan(150);
  });

  it('SIGTERM while a blob is streaming: exits within a second, 143, connections closed', async () => {
    const own = await startServe([storage]);
    const cut = new Promise<string>((resolve) => {
      const req = request(`${own.url}/v2/big/blobs/${bigDigest}`, { agent: false }, (res) => {
        res.once('data', () => own.child.kill('SIGTERM'));
        res.on('data', () => undefined);
        res.on('end', () => resolve('end'));
        res.on('error', (err) => resolve(err.message));
        res.on('aborted', () => resolve('aborted'));
      });
      req.on('error', (err) => resolve(err.message));
      req.end();
    });
    const started = Date.now();
    const exit = await own.exited;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(exit.code).toBe(143);
    expect(own.stderr()).toContain('registry serve: stopped');
    // The client saw its transfer cut, not a complete 256 MiB body.
    expect(await cut).not.toBe('end');
  });
});
