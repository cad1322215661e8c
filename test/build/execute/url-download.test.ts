import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downloadUrl } from '../../../src/build/execute/url-download';
import { UrlClient } from '../../../src/registry/http/url-client';

/** downloadUrl through the registry HTTP layer: redirect limit, size cap (announced or streamed), redaction. */
let server: Server;
let base: string;
let dir: string;
const client = new UrlClient();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kimg-url-'));
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/loop') return res.writeHead(302, { location: '/loop?token=secret' }).end();
    if (url.pathname === '/big') return res.writeHead(200, { 'content-length': '100' }).end('x'.repeat(100));
    if (url.pathname === '/chunked') {
      res.writeHead(200);
      res.write('x'.repeat(60));
      return res.end('x'.repeat(60));
    }
    res.writeHead(200, { 'last-modified': 'Wed, 21 Oct 2015 07:28:00 GMT' }).end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await client.close();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe('downloadUrl', () => {
  it('writes the file 0600 and returns digest, size and validators', async () => {
    const file = join(dir, 'ok');
    const result = await downloadUrl(client, `${base}/ok`, file);
    expect(result).toMatchObject({
      status: 'downloaded',
      size: 2,
      validators: { lastModified: 'Wed, 21 Oct 2015 07:28:00 GMT' },
    });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('refuses more than 10 redirects, with the URL redacted', async () => {
    const error = await downloadUrl(client, `${base}/loop?token=top`, join(dir, 'loop')).catch(
      (e: Error) => e,
    );
    expect(String(error)).toMatch(/more than 10 redirects/);
    expect(String(error)).not.toMatch(/secret|top/);
  });

  it('caps the size whether announced or streamed, leaving no partial file', async () => {
    await expect(downloadUrl(client, `${base}/big`, join(dir, 'big'), { limit: 50 })).rejects.toMatchObject({
      code: 'SIZE_LIMIT',
      message: expect.stringMatching(
        /big: the server announces 100 bytes, over the download size cap of 50 bytes$/,
      ),
      hint: expect.stringContaining('--max-download-size or KIMG_MAX_DOWNLOAD_SIZE'),
    });
    await expect(
      downloadUrl(client, `${base}/chunked`, join(dir, 'chunked'), { limit: 100 }),
    ).rejects.toThrow(/chunked: the body goes past the download size cap of 100 bytes$/);
    expect(existsSync(join(dir, 'chunked'))).toBe(false);
  });
});
