import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { forward, forwardableHeaders, makeAgent } from './forward';
import { errorBody, RuleBook, type FaultRule } from './fault-rules';
import { startOtherOrigin, type OtherOriginRecord } from './other-origin';

export type { FaultRule, RuleMatch } from './fault-rules';

export interface ProxyRequestRecord {
  method: string;
  /** Path with query string, as the client sent it. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The status the client got (0 until the response starts). */
  status: number;
  /** Kinds of the rules that fired on this request. */
  faults: FaultRule['kind'][];
}

export interface FaultProxyOptions {
  /** PEM CA for an https upstream (the proxy itself serves plain http). */
  upstreamCa?: string;
  rules?: FaultRule[];
}

export interface FaultProxy {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `127.0.0.1:PORT` */
  host: string;
  /** Every request in arrival order, so tests can count round trips ("≤ 3 requests per new blob"). */
  requests: ProxyRequestRecord[];
  /** TLS handshakes tried on this plain-http port: a client probing https before http. */
  tlsProbes(): number;
  /** TCP connections accepted (TLS probes included): a client that reuses its connections opens few. */
  connections(): number;
  /** Requests that arrived at the redirect target ('redirect' rules). */
  otherOrigin: { url: string; requests: OtherOriginRecord[] };
  setRules(rules: FaultRule[]): void;
  /** Clears the rules and both request logs. */
  reset(): void;
  stop(): Promise<void>;
}

/**
 * An HTTP proxy in front of a real registry that injects what the registry cannot produce on demand (see
 * FaultRule). Everything else is streamed through unchanged, except `Location` headers, which are rewritten to
 * the proxy so uploads (POST → PATCH → PUT on the returned URL) keep going through it.
 */
export async function startFaultProxy(
  upstreamUrl: string,
  options: FaultProxyOptions = {},
): Promise<FaultProxy> {
  const upstream = new URL(upstreamUrl);
  const agent = makeAgent(upstream);
  const otherOrigin = await startOtherOrigin(upstreamUrl, options.upstreamCa);
  const rules = new RuleBook();
  rules.set(options.rules ?? []);
  const requests: ProxyRequestRecord[] = [];
  let selfUrl = '';

  const server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const firing = rules.fire(method, path);
    const record: ProxyRequestRecord = {
      method,
      path,
      headers: req.headers,
      status: 0,
      faults: firing.map((r) => r.kind),
    };
    requests.push(record);
    const headers = forwardableHeaders(req.headers, upstream.host);

    for (const rule of firing) {
      if (rule.kind === 'status') {
        req.resume(); // drain an upload body we will not forward
        record.status = rule.status;
        const extra = rule.retryAfter !== undefined ? { 'retry-after': rule.retryAfter } : {};
        return void res
          .writeHead(rule.status, { 'content-type': 'application/json', ...extra })
          .end(rule.body ?? errorBody(rule.status));
      }
      if (rule.kind === 'redirect') {
        req.resume();
        record.status = 307;
        const credentials = req.headers.authorization ? { authorization: req.headers.authorization } : {};
        return void res
          .writeHead(307, { location: otherOrigin.locationFor(path, credentials), 'content-length': '0' })
          .end();
      }
    }
    const resets = firing.flatMap((r) => (r.kind === 'reset-mid-body' ? [r.afterBytes] : []));
    forward(req, res, {
      upstream,
      agent,
      ca: options.upstreamCa,
      headers,
      rewriteLocation: (location) =>
        location.startsWith(upstream.origin) ? selfUrl + location.slice(upstream.origin.length) : location,
      dropHeaders: firing.flatMap((r) => (r.kind === 'drop-header' ? [r.name.toLowerCase()] : [])),
      corruptOffsets: firing.flatMap((r) => (r.kind === 'corrupt-byte' ? [r.offset] : [])),
      resetAfterBytes: resets.length > 0 ? Math.min(...resets) : undefined,
      stallAfterBytes: firing.find((r) => r.kind === 'stall-mid-body')?.afterBytes,
      onStatus: (status) => (record.status = status),
    });
  });
  let tlsProbes = 0;
  let connections = 0;
  server.on('connection', () => connections++);
  // What node does with bytes that are not HTTP (a 400, then close), counting TLS ClientHellos (record type 0x16).
  server.on('clientError', (err: Error & { rawPacket?: Buffer }, socket) => {
    if (err.rawPacket?.[0] === 0x16) tlsProbes++;
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  selfUrl = `http://${host}`;
  return {
    url: selfUrl,
    host,
    requests,
    otherOrigin: { url: otherOrigin.url, requests: otherOrigin.requests },
    tlsProbes: () => tlsProbes,
    connections: () => connections,
    setRules: (next) => rules.set(next),
    reset() {
      tlsProbes = 0;
      connections = 0;
      rules.set([]);
      requests.splice(0);
      otherOrigin.requests.splice(0);
    },
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      agent.destroy();
      await otherOrigin.stop();
    },
  };
}
