import { afterAll, describe, expect, it } from '@jest/globals';
import { request } from 'node:http';
import { DirectoryStorage, serveRegistry } from '../../src/airgap/serve';
import { httpRequest, removeTempDirs } from '../harness';
import { writeServeFixture } from './serve-fixtures';

// The library entry point: serveRegistry({storage}) → {url, close()}; close() ends transfers in flight.
afterAll(() => removeTempDirs());

describe('serveRegistry (library)', () => {
  it('serves on a free loopback port; close() does not wait for kept-alive connections, stops listening', async () => {
    const fixture = await writeServeFixture();
    const storage = await DirectoryStorage.open(fixture.storage);
    let closedStorage = false;
    const close = storage.close.bind(storage);
    storage.close = async () => {
      closedStorage = true;
      await close();
    };
    const entries: string[] = [];
    const server = await serveRegistry({
      storage,
      port: 0,
      onRequest: (entry) => entries.push(`${entry.method} ${entry.status}`),
    });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await httpRequest(`${server.url}/v2/`)).status).toBe(200);

    // A request whose response is held open (keep-alive socket) must not keep close() waiting.
    const idle = new Promise<void>((resolve) => {
      request(`${server.url}/v2/_catalog`, (res) => {
        res.resume();
        res.on('end', () => resolve());
      }).end();
    });
    await idle;
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(closedStorage).toBe(true);
    await expect(httpRequest(`${server.url}/v2/`, { timeoutMs: 2000 })).rejects.toThrow(/ECONNREFUSED/);
    expect(entries).toEqual(['GET 200', 'GET 200']);
  });

  it('a port in use is an IO_ERROR naming the address and --addr', async () => {
    const fixture = await writeServeFixture();
    const first = await serveRegistry({ storage: await DirectoryStorage.open(fixture.storage), port: 0 });
    try {
      await expect(
        serveRegistry({ storage: await DirectoryStorage.open(fixture.storage), port: first.port }),
      ).rejects.toMatchObject({
        code: 'IO_ERROR',
        message: `cannot listen on 127.0.0.1:${first.port}: EADDRINUSE`,
        hint: expect.stringContaining('--addr HOST:PORT'),
      });
    } finally {
      await first.close();
    }
  });
});
