import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compileModule, runModule, writeCodeCache } from '../../lazy/code-cache';
import { isParts, useLiftoffOnly, type UndiciParts } from './undici-lite';

/**
 * The build's producer of undici's code cache (scripts/build-snapshot.js runs it in a child node started with the
 * V8 flags of one way bin/kimg starts kimg): the bundle compiled and run here under the V8 flag undici-lite sets
 * before it loads, so that V8 accepts the cache in a kimg process started the same way. Returns its size in bytes.
 */
export async function writeUndiciCodeCache(bundle: string, cacheFile: string): Promise<number> {
  useLiftoffOnly();
  const compiled = compileModule(bundle);
  const parts = runModule(compiled);
  if (!isParts(parts)) throw new Error(`${bundle} exports no undici Agent and request`);
  await warmUp(parts);
  return writeCodeCache(compiled, cacheFile);
}

/** A loopback server answering as a registry does: a JSON body, or none for a HEAD; request bodies read out. */
function answer(request: IncomingMessage, response: ServerResponse): void {
  request.resume();
  request.on('end', () => {
    response.writeHead(request.method === 'PUT' ? 201 : 200, {
      'content-type': 'application/json',
      'docker-content-digest': `sha256:${'0'.repeat(64)}`,
    });
    response.end(request.method === 'HEAD' ? undefined : '{}');
  });
}

/**
 * V8 compiles most functions on their first call, and a code cache holds only what is compiled: so before it is
 * written, the requests a registry command makes run once (keep-alive GET and HEAD, a PUT with a body) against a
 * loopback server. Measured on kimg inspect/copy: ~3 ms less CPU per command than a cache of the loaded module
 * alone (the cache: 118 → 273 KB).
 */
async function warmUp({ Agent, request }: UndiciParts): Promise<void> {
  const server = createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const agent = new Agent({ connections: 2, keepAliveTimeout: 1000 });
  try {
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const asks = [
      { method: 'GET', path: '/v2/' },
      { method: 'HEAD', path: '/v2/warm/manifests/1' },
      { method: 'PUT', path: '/v2/warm/blobs/uploads/1', body: Buffer.alloc(1024) },
      { method: 'GET', path: '/v2/warm/manifests/1' },
    ] as const;
    for (const ask of asks) {
      const response = await request.call(agent, { origin, reset: false, ...ask });
      await response.body.text();
    }
  } finally {
    await agent.close();
    server.close();
  }
}
