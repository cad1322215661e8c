import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { discard, DISCARD_WAIT_MS } from '../../src/registry/http/body';
import { createAgent, requestOn } from '../../src/registry/http/undici-lite';

/**
 * `discard` (registry/http/body.ts) throws away the bodies of answers we read only the status of. A peer
 * trickling such a body is a fake: docker-registry never does, and the limit is for the ones that do.
 */
describe('discarding a response body', () => {
  let server: Server;
  let origin: string;
  let connections = 0;
  const agent = createAgent({});

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/trickle') {
        res.writeHead(200, { 'content-length': '100000' });
        const timer = setInterval(() => res.write('x'), 50);
        res.on('close', () => clearInterval(timer));
        return;
      }
      res.writeHead(202, { 'content-length': '0' });
      res.end();
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await agent.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('reads bodiless answers out, so their connection is reused: 50 in a row on one or two connections', async () => {
    connections = 0;
    for (let round = 0; round < 50; round++) {
      const response = await requestOn(agent, new URL('/empty', origin), { method: 'POST', reset: false });
      await discard(response.body);
      expect(response.body.destroyed || response.body.readableEnded).toBe(true);
    }
    // A discard that dropped the body would have made it 50 connections.
    expect(connections).toBeLessThanOrEqual(2);
  });

  it('drops a body still trickling after DISCARD_WAIT_MS (at most twice that), so no request is held by it', async () => {
    const started = Date.now();
    const responses = await Promise.all(
      [0, 1, 2].map(() => requestOn(agent, new URL('/trickle', origin), { method: 'GET' })),
    );
    await Promise.all(responses.map((response) => discard(response.body)));
    const waited = Date.now() - started;
    expect(waited).toBeLessThanOrEqual(2 * DISCARD_WAIT_MS + 500);
    expect(responses.every((response) => response.body.destroyed)).toBe(true);
  });
});
