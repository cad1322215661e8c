import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isKimgError } from '../../src/errors';
import { testClient } from './helpers';

/**
 * A small request's deadline (registry/http/deadline.ts) is also how the caller's signal reaches undici: one
 * listener on that signal for every request in flight. A registry that never answers is a fake: docker-registry
 * always does.
 */
describe('the caller aborting small requests in flight', () => {
  let server: Server;
  let host: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/v2/') {
        res.writeHead(200, { 'content-length': '0' });
        res.end();
      }
      // Anything else: never answered.
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('ends every one of them at once, with ABORTED, long before their deadline', async () => {
    const { client } = testClient({ timeouts: { requestMs: 60_000, responseMs: 60_000 } });
    try {
      const repo = client.repository(host, 'silent/app');
      await client.ping(host);
      const controller = new AbortController();
      const digest = (n: number) => `sha256:${String(n).repeat(64)}`;
      const started = Date.now();
      const pending = [1, 2, 3].map((n) =>
        repo.blobExists(digest(n), { signal: controller.signal }).catch((err: unknown) => err),
      );
      setTimeout(() => controller.abort(), 200);
      const errors = await Promise.all(pending);
      expect(errors.every((err) => isKimgError(err, 'ABORTED'))).toBe(true);
      expect(Date.now() - started).toBeLessThan(5_000);
      // A request started after the abort fails at once too.
      await expect(repo.blobExists(digest(4), { signal: controller.signal })).rejects.toMatchObject({
        code: 'ABORTED',
      });
    } finally {
      await client.close();
    }
  });
});
