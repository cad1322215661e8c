// A WAN in front of a loopback registry: every request waits `delayMs` before it is forwarded, so each round
// trip costs what a far-away registry costs (this kernel has no netem, `tc qdisc … netem delay` is not
// available). Bytes are streamed through unchanged by the test harness's forwarder, and upload `Location`s are
// rewritten to the proxy, so a POST → PATCH → PUT upload keeps paying the latency on every step, as it would.
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { forward, forwardableHeaders, makeAgent } from '../../test/harness/forward';

export interface LatencyRecord {
  method: string;
  /** Path with query string, as the client sent it. */
  path: string;
  status: number;
}

export interface LatencyProxy {
  /** `127.0.0.1:PORT`, what the tools are pointed at. */
  host: string;
  url: string;
  /** Every request in arrival order (bench request counts). */
  requests: LatencyRecord[];
  /** Connections the clients opened (a new TCP connection costs a round trip on a real WAN too). */
  connections(): number;
  /** TLS handshakes tried on this plain-http port (a client probing https first), answered 400 as any plain server. */
  tlsProbes(): number;
  stop(): Promise<void>;
}

/**
 * Starts a proxy on 127.0.0.1 in front of `upstreamUrl` (plain http) adding `delayMs` to every request and
 * as much again to the first request of every new connection (the TCP handshake's round trip).
 */
export async function startLatencyProxy(upstreamUrl: string, delayMs: number): Promise<LatencyProxy> {
  const upstream = new URL(upstreamUrl);
  const agent = makeAgent(upstream);
  const requests: LatencyRecord[] = [];
  const sockets = new Set<Socket>();
  let opened = 0;
  let probes = 0;
  let selfUrl = '';
  const served = new WeakSet<Socket>();
  const server = createServer((req, res) => {
    const record: LatencyRecord = { method: req.method ?? 'GET', path: req.url ?? '/', status: 0 };
    requests.push(record);
    // The first request on a connection also pays for the handshake's round trip.
    const fresh = !served.has(req.socket);
    served.add(req.socket);
    // Paused meanwhile: an upload body waits in the socket buffers, as it would in flight.
    req.pause();
    setTimeout(
      () => {
        forward(req, res, {
          upstream,
          agent,
          headers: forwardableHeaders(req.headers, upstream.host),
          rewriteLocation: (location) =>
            location.startsWith(upstream.origin)
              ? selfUrl + location.slice(upstream.origin.length)
              : location,
          onStatus: (status) => (record.status = status),
        });
      },
      fresh ? 2 * delayMs : delayMs,
    );
  });
  server.on('connection', (socket: Socket) => {
    opened++;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // What a plain http server does with a TLS ClientHello (node answers 400 and closes), one round trip later.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === 'HPE_INVALID_METHOD') probes++;
    setTimeout(() => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  selfUrl = `http://${host}`;
  return {
    host,
    url: selfUrl,
    requests,
    connections: () => opened,
    tlsProbes: () => probes,
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      agent.destroy();
    },
  };
}
