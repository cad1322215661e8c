import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MediaType } from '../../src/manifest/media-types';
import { writeRandomImage, type FixtureImage } from '../fixtures/random-image';
import { makeTempDir } from './temp';

/**
 * A scripted registry that lies (issue 9, registry client classes): a raw TCP server speaking just enough
 * HTTP/1.1 to serve one image, so that a test can send what no real registry (and no node:http server) would:
 * a Content-Length the body does not match, a connection dropped mid-body, a chunked body that ends early, a
 * manifest at one byte per second, headers that never come, a `Link: rel="next"` that never ends.
 * DESIGN.md: scripted fakes only for what a real registry cannot produce.
 */
export interface HostileRequest {
  method: string;
  /** Path with query string. */
  path: string;
  headers: Record<string, string>;
}

/** What a script may do with one request. */
export interface Reply {
  /** A well-formed response with a Content-Length (no body sent for HEAD). */
  send(status: number, headers: Record<string, string>, body?: Buffer | string): void;
  /** Bytes written as they are: the status line and headers too, whatever they claim. */
  raw(bytes: Buffer | string): void;
  /** Closes the connection (FIN). */
  end(): void;
  /** Resets the connection. */
  destroy(): void;
  /** Closed by the client (or us). */
  readonly closed: boolean;
  socket: Socket;
}

/** Returns true when it answered; otherwise the image is served normally. */
export type Script = (req: HostileRequest, reply: Reply, registry: HostileRegistry) => boolean;

export interface HostileRegistry {
  /** `127.0.0.1:PORT` */
  host: string;
  /** `docker://127.0.0.1:PORT/hostile/image:1` */
  reference: string;
  image: FixtureImage;
  /** The layer blob the faults apply to (> 1 KiB). */
  layer: { digest: string; bytes: Buffer };
  manifestBytes: Buffer;
  /** Every request in arrival order. */
  requests: HostileRequest[];
  setScript(script: Script | undefined): void;
  /** No script, no requests recorded: between tests. */
  reset(): void;
  /**
   * A TLS ClientHello (the client tries https first on loopback) is left unanswered instead of refused: the
   * handshake never ends. Cleared by reset().
   */
  silentOnTls: boolean;
  /** Answers a blob GET normally (honours `Range: bytes=N-`). */
  serveBlob(req: HostileRequest, reply: Reply): void;
  stop(): Promise<void>;
}

export const HOSTILE_REPOSITORY = 'hostile/image';
export const HOSTILE_TAG = '1';

export async function startHostileRegistry(): Promise<HostileRegistry> {
  const layout = await makeTempDir('kimg-hostile-');
  // One uncompressed 256 KiB layer: big enough that "after 1 KiB" is mid-body.
  const image = await writeRandomImage(layout, {
    ref: HOSTILE_TAG,
    seed: 909,
    layers: 1,
    filesPerLayer: 4,
    fileSize: 64 * 1024,
    compression: 'none',
  });
  const blobs = new Map<string, Buffer>();
  const readBlob = (digest: string) =>
    readFile(join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length)));
  for (const digest of [image.manifestDigest, image.configDigest, ...image.layers.map((l) => l.digest)]) {
    blobs.set(digest, await readBlob(digest));
  }
  const manifestBytes = blobs.get(image.manifestDigest) as Buffer;
  const layerDigest = (image.layers[0] as { digest: string }).digest;
  let script: Script | undefined;
  const requests: HostileRequest[] = [];
  const sockets = new Set<Socket>();

  const serveBlob = (req: HostileRequest, reply: Reply): void => {
    const digest = decodeURIComponent(req.path.split('?')[0]?.split('/blobs/')[1] ?? '');
    const bytes = blobs.get(digest);
    if (!bytes)
      return reply.send(404, { 'content-type': 'application/json' }, '{"errors":[{"code":"BLOB_UNKNOWN"}]}');
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const headers: Record<string, string> = {
      'content-type': 'application/octet-stream',
      'docker-content-digest': digest,
    };
    if (range) headers['content-range'] = `bytes ${start}-${bytes.length - 1}/${bytes.length}`;
    reply.send(range ? 206 : 200, headers, bytes.subarray(start));
  };

  const serveDefault = (req: HostileRequest, reply: Reply): void => {
    const path = req.path.split('?')[0] ?? '';
    if (path === '/v2/') return reply.send(200, { 'content-type': 'application/json' }, '{}');
    const prefix = `/v2/${HOSTILE_REPOSITORY}/`;
    if (!path.startsWith(prefix)) return reply.send(404, {}, '');
    const rest = path.slice(prefix.length);
    if (rest.startsWith('manifests/')) {
      const ref = decodeURIComponent(rest.slice('manifests/'.length));
      if (ref !== HOSTILE_TAG && ref !== image.manifestDigest) return reply.send(404, {}, '');
      return reply.send(
        200,
        { 'content-type': MediaType.OciManifest, 'docker-content-digest': image.manifestDigest },
        manifestBytes,
      );
    }
    if (rest.startsWith('blobs/')) return serveBlob(req, reply);
    if (rest === 'tags/list') {
      return reply.send(
        200,
        { 'content-type': 'application/json' },
        JSON.stringify({ name: HOSTILE_REPOSITORY, tags: [HOSTILE_TAG] }),
      );
    }
    if (rest.startsWith('referrers/')) {
      return reply.send(
        200,
        { 'content-type': MediaType.OciIndex },
        JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] }),
      );
    }
    reply.send(404, {}, '');
  };

  const registry: HostileRegistry = {
    host: '',
    reference: '',
    image,
    layer: { digest: layerDigest, bytes: blobs.get(layerDigest) as Buffer },
    manifestBytes,
    requests,
    setScript: (next) => {
      script = next;
    },
    reset: () => {
      script = undefined;
      requests.length = 0;
      registry.silentOnTls = false;
    },
    silentOnTls: false,
    serveBlob,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let pending = Buffer.alloc(0);
    let closed = false;
    socket.on('close', () => (closed = true));
    /** The request whose body (Content-Length bytes, counted and dropped) is still arriving. */
    let receiving: { dispatch: () => void; left: number } | undefined;
    socket.on('data', (data: Buffer) => {
      // A TLS ClientHello (the client tries https first on loopback): not a TLS server, hang up.
      if (pending.length === 0 && !receiving && data[0] === 0x16) {
        if (!registry.silentOnTls) socket.destroy();
        return;
      }
      pending = Buffer.concat([pending, data]);
      for (;;) {
        if (receiving) {
          const taken = Math.min(receiving.left, pending.length);
          receiving.left -= taken;
          pending = pending.subarray(taken);
          if (receiving.left > 0) return;
          const { dispatch } = receiving;
          receiving = undefined;
          dispatch(); // answered once its body is in, as a server must
        }
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = pending.subarray(0, end).toString('latin1');
        pending = pending.subarray(end + 4);
        const [line = '', ...headerLines] = head.split('\r\n');
        const [method = 'GET', path = '/'] = line.split(' ');
        const headers: Record<string, string> = {};
        for (const headerLine of headerLines) {
          const colon = headerLine.indexOf(':');
          if (colon > 0)
            headers[headerLine.slice(0, colon).trim().toLowerCase()] = headerLine.slice(colon + 1).trim();
        }
        const req = { method, path, headers };
        requests.push(req);
        const reply: Reply = {
          socket,
          get closed() {
            return closed;
          },
          send: (status, extra, body = '') => {
            const bytes = typeof body === 'string' ? Buffer.from(body) : body;
            const lines = [`HTTP/1.1 ${status} X`, `content-length: ${bytes.length}`];
            for (const [name, value] of Object.entries(extra)) lines.push(`${name}: ${value}`);
            socket.write(`${lines.join('\r\n')}\r\n\r\n`);
            if (method !== 'HEAD' && bytes.length > 0) socket.write(bytes);
          },
          raw: (bytes) => void (closed || socket.write(bytes)),
          end: () => void socket.end(),
          destroy: () => void socket.destroy(),
        };
        const dispatch = () => {
          if (!script?.(req, reply, registry)) serveDefault(req, reply);
        };
        receiving = { dispatch, left: Number(headers['content-length'] ?? 0) || 0 };
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  registry.host = host;
  registry.reference = `docker://${host}/${HOSTILE_REPOSITORY}:${HOSTILE_TAG}`;
  return registry;
}

/** True for a GET of the layer blob. */
export function isLayerGet(req: HostileRequest, registry: HostileRegistry): boolean {
  return req.method === 'GET' && req.path.includes(`/blobs/${registry.layer.digest}`);
}

/** Response head of the layer blob with the given headers (the body is up to the script). */
export function layerHead(registry: HostileRegistry, headers: Record<string, string>, status = 200): string {
  const lines = [`HTTP/1.1 ${status} X`, 'content-type: application/octet-stream'];
  lines.push(`docker-content-digest: ${registry.layer.digest}`);
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}
