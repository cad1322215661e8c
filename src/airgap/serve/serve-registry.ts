import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { KimgError } from '../../errors';
import type { Htpasswd } from './htpasswd';
import { handleRequest } from './request-handler';
import { RegistryView } from './registry-view';
import type { RegistryStorage } from './storage';

/** sealos' registry port; loopback unless another address is asked for (an air-gapped host's registry is local). */
export const DEFAULT_SERVE_HOST = '127.0.0.1';
export const DEFAULT_SERVE_PORT = 5000;
/** A connection that sends or takes nothing for this long is closed, so a stalled client cannot hold a file forever. */
export const IDLE_SOCKET_TIMEOUT_MS = 120_000;
/** The whole request head must arrive within this (slowloris); node's default is 60 s. */
export const HEADERS_TIMEOUT_MS = 20_000;

/** One line of the request log. */
export interface RequestLogEntry {
  method: string;
  path: string;
  status: number;
  /** Body bytes handed to the connection (for a blob cut short, up to where it stopped). */
  bytes: number;
  ms: number;
  aborted: boolean;
}

export interface ServeRegistryOptions {
  storage: RegistryStorage;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 5000; 0 = any free port (the handle's `url` says which). */
  port?: number;
  /** PEM certificate (chain) and key: serve https. */
  tls?: { cert: Buffer; key: Buffer };
  htpasswd?: Htpasswd;
  realm?: string;
  onRequest?: (entry: RequestLogEntry) => void;
  /** A failure the client only sees as a 500 (a storage read error): for the operator's log. */
  onError?: (error: unknown) => void;
}

export interface RegistryServerHandle {
  /** `http://127.0.0.1:5000` — what clients use (IPv6 hosts in brackets). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Stops accepting, closes every connection (transfers in flight are cut), releases the storage. */
  close(): Promise<void>;
  /**
   * The synchronous part of close, for a signal handler that exits right after (interrupt/ runs cleanups
   * synchronously): the listening socket and every connection are closed now; open files go with the process.
   */
  closeNow(): void;
}

/**
 * Serves a registry storage read-only over the distribution API (src/airgap/serve/README.md). Resolves once
 * listening; EADDRINUSE and the like are a KimgError naming the address.
 */
export async function serveRegistry(options: ServeRegistryOptions): Promise<RegistryServerHandle> {
  const host = options.host ?? DEFAULT_SERVE_HOST;
  const view = new RegistryView(options.storage);
  const settings = {
    realm: options.realm ?? 'kimg registry',
    ...(options.htpasswd && { htpasswd: options.htpasswd }),
  };
  const sockets = new Set<Socket>();

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const sent = { bytes: 0 };
    res.on('close', () =>
      options.onRequest?.({
        method: req.method ?? '',
        path: req.url ?? '',
        status: res.statusCode,
        // A finished answer sent its Content-Length (JSON is ended before the handler's promise settles); a cut
        // one, what was handed over.
        bytes:
          res.writableFinished && req.method !== 'HEAD'
            ? Number(res.getHeader('content-length') ?? sent.bytes)
            : sent.bytes,
        ms: Math.round(performance.now() - started),
        aborted: !res.writableFinished,
      }),
    );
    handleRequest(view, settings, req, res, sent).catch((err: unknown) => {
      // A client that went away mid-blob is not an error of ours.
      if (res.destroyed || (err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
      options.onError?.(err);
      if (res.headersSent) res.destroy();
      else {
        const body = JSON.stringify({
          errors: [{ code: 'UNKNOWN', message: 'internal error reading the storage' }],
        });
        res.writeHead(500, { 'Content-Type': 'application/json; charset=utf-8' }).end(body);
      }
    });
  };

  const server: Server = options.tls ? createTlsServer(options.tls, onRequest) : createHttpServer(onRequest);
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.setTimeout(IDLE_SOCKET_TIMEOUT_MS, (socket: Socket) => socket.destroy());
  server.on(options.tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // A TLS handshake that fails is the client's problem; without a listener node would only log it.
  server.on('tlsClientError', (_err, socket: Socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new KimgError(
          'IO_ERROR',
          `cannot listen on ${host}:${options.port ?? DEFAULT_SERVE_PORT}: ${err.code ?? err.message}`,
          err.code === 'EADDRINUSE'
            ? 'another program uses that port: pick another with --addr HOST:PORT (port 0 = any free one)'
            : undefined,
        ),
      ),
    );
    server.listen(options.port ?? DEFAULT_SERVE_PORT, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;

  const closeNow = () => {
    server.close();
    for (const socket of sockets) socket.destroy();
  };
  return {
    url: `${options.tls ? 'https' : 'http'}://${shownHost}:${address.port}`,
    host: address.address,
    port: address.port,
    closeNow,
    close: () =>
      (closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await closed;
        await options.storage.close();
      })()),
  };
}

function createTlsServer(
  tls: { cert: Buffer; key: Buffer },
  onRequest: (req: IncomingMessage, res: ServerResponse) => void,
): Server {
  try {
    return createHttpsServer({ cert: tls.cert, key: tls.key }, onRequest);
  } catch (err) {
    // OpenSSL's messages span lines; the first says what is wrong (no PEM, key does not match the cert…).
    const reason = (err as Error).message.split('\n')[0];
    throw new KimgError(
      'TLS_CONFIG_INVALID',
      `the TLS certificate or key cannot be used: ${reason}`,
      'give a PEM certificate chain and its PEM private key',
    );
  }
}
