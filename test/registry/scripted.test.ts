import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { digestOf } from '../../src/digest';
import { MAX_ERROR_BODY_BYTES, MAX_MANIFEST_BYTES } from '../../src/manifest/limits';
import { isRegistryError, MAX_ERROR_TEXT_CHARS } from '../../src/registry';
import { blob, opener, testClient } from './helpers';

/**
 * Edge cases a real registry cannot produce (DESIGN.md: scripted fakes beside the real registry, never instead):
 * oversized manifests and error bodies, redirect loops, an upload Location on another origin.
 */
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function serve(handler: Handler): Promise<{ server: Server; host: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, host: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('scripted registry edge cases', () => {
  const seen: { path: string; authorization?: string }[] = [];
  const otherSeen: { method?: string; authorization?: string }[] = [];
  let main: { server: Server; host: string };
  let other: { server: Server; host: string };
  const user = { username: 'u', password: 'p4ss' };

  beforeAll(async () => {
    other = await serve((req, res) => {
      otherSeen.push({ method: req.method, authorization: req.headers.authorization });
      req.resume();
      req.on('end', () => res.writeHead(201, { 'docker-content-digest': 'x' }).end());
    });
    main = await serve((req, res) => {
      const path = req.url ?? '/';
      seen.push({ path, authorization: req.headers.authorization });
      if (req.headers.authorization !== `Basic ${Buffer.from('u:p4ss').toString('base64')}`) {
        return void res.writeHead(401, { 'www-authenticate': 'Basic realm="scripted"' }).end();
      }
      if (path === '/v2/') return void res.writeHead(200).end('{}');
      if (path.startsWith('/v2/big/manifests/')) {
        const size = MAX_MANIFEST_BYTES + 10;
        const headers = path.endsWith('chunked') ? {} : { 'content-length': String(size) };
        res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', ...headers });
        return void res.end(Buffer.alloc(size, 0x20));
      }
      if (path.startsWith('/v2/huge-error/')) {
        res.writeHead(400, { 'content-type': 'application/json' });
        return void res.end(
          JSON.stringify({ errors: [{ code: 'MANIFEST_INVALID', message: 'x'.repeat(200_000) }] }),
        );
      }
      if (path.startsWith('/v2/loop/')) return void res.writeHead(302, { location: path }).end();
      if (path === '/v2/elsewhere/blobs/uploads/' && req.method === 'POST') {
        return void res.writeHead(202, { location: `http://${other.host}/upload/1?sig=s3cr3t` }).end();
      }
      if (req.method === 'HEAD') return void res.writeHead(404).end();
      res.writeHead(404).end();
    });
  });
  afterAll(async () => {
    await new Promise((resolve) => main.server.close(resolve));
    await new Promise((resolve) => other.server.close(resolve));
  });

  const client = () => testClient({ scheme: () => 'http', credentials: async () => user });

  it('cuts off manifests over 4 MiB, announced or not', async () => {
    const { client: c } = client();
    try {
      await expect(c.repository(main.host, 'big').getManifest('announced')).rejects.toMatchObject({
        code: 'SIZE_LIMIT',
        message: expect.stringContaining(`${MAX_MANIFEST_BYTES}-byte limit`),
      });
      await expect(c.repository(main.host, 'big').getManifest('chunked')).rejects.toMatchObject({
        code: 'SIZE_LIMIT',
      });
    } finally {
      await c.close();
    }
  });

  it('cuts off error bodies at 64 KiB and still reports the spec code', async () => {
    const { client: c } = client();
    try {
      const err = await c
        .repository(main.host, 'huge-error')
        .getManifest('v1')
        .catch((e: unknown) => e);
      expect(isRegistryError(err, 400)).toBe(true);
      expect((err as Error).message).toContain(`error body cut at ${MAX_ERROR_BODY_BYTES} bytes`);
      expect((err as Error).message.length).toBeLessThan(MAX_ERROR_TEXT_CHARS + 1_000);
    } finally {
      await c.close();
    }
  });

  it('stops after 10 redirects', async () => {
    const { client: c } = client();
    try {
      await expect(c.repository(main.host, 'loop').getManifest('v1')).rejects.toMatchObject({
        code: 'REDIRECT_REFUSED',
      });
    } finally {
      await c.close();
    }
  });

  it('sends no Authorization to an upload Location on another origin, and redacts its signature', async () => {
    const { client: c, events } = client();
    try {
      const { bytes, desc } = blob('elsewhere', 1_000);
      await c.repository(main.host, 'elsewhere', { push: true }).pushBlob(desc, opener(bytes).open);
      expect(otherSeen).toEqual([{ method: 'PUT', authorization: undefined }]);
      expect(
        seen
          .filter((s) => s.path.startsWith('/v2/elsewhere'))
          .every((s) => s.authorization?.startsWith('Basic ')),
      ).toBe(true);
      expect(JSON.stringify(events)).not.toContain('s3cr3t');
      expect(digestOf(bytes)).toBe(desc.digest);
    } finally {
      await c.close();
    }
  });
});
