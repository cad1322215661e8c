import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { forward, forwardableHeaders, makeAgent } from './forward';

export interface OtherOriginRecord {
  method: string;
  /** The path the client asked for, without the ticket parameter. */
  path: string;
  headers: IncomingHttpHeaders;
  /** Whether an Authorization header arrived here: DESIGN.md says credentials must never follow a redirect. */
  authorization: boolean;
  status: number;
}

export interface OtherOrigin {
  url: string;
  requests: OtherOriginRecord[];
  /** A Location on this origin that serves `path` from the upstream with `credentials` (a presigned URL). */
  locationFor(path: string, credentials: OutgoingHttpHeaders): string;
  stop(): Promise<void>;
}

const TICKET = 'kimg-ticket';

/**
 * A second origin (another port, so another origin for browsers, Go and undici alike) standing in for the blob
 * store or CDN a registry redirects to. Like an S3 presigned URL, the URL itself grants access: the ticket maps to
 * the original request's credentials, which this server uses to fetch the same path from the upstream registry.
 */
export async function startOtherOrigin(upstreamUrl: string, ca?: string): Promise<OtherOrigin> {
  const upstream = new URL(upstreamUrl);
  const agent = makeAgent(upstream);
  const tickets = new Map<string, OutgoingHttpHeaders>();
  const requests: OtherOriginRecord[] = [];

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const credentials = tickets.get(url.searchParams.get(TICKET) ?? '');
    url.searchParams.delete(TICKET);
    const path = url.pathname + url.search;
    const record: OtherOriginRecord = {
      method: req.method ?? 'GET',
      path,
      headers: req.headers,
      authorization: req.headers.authorization !== undefined,
      status: 0,
    };
    requests.push(record);
    if (!credentials) {
      record.status = 403;
      req.resume();
      return void res.writeHead(403).end('no or unknown ticket');
    }
    const { authorization: _ignored, ...clientHeaders } = req.headers;
    req.url = path;
    forward(req, res, {
      upstream,
      agent,
      ca,
      headers: { ...forwardableHeaders(clientHeaders, upstream.host), ...credentials },
      rewriteLocation: (location) => location,
      onStatus: (status) => (record.status = status),
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    locationFor(path, credentials) {
      const ticket = randomBytes(12).toString('hex');
      tickets.set(ticket, credentials);
      return `${url}${path}${path.includes('?') ? '&' : '?'}${TICKET}=${ticket}`;
    },
    stop: () =>
      new Promise((resolve) => {
        agent.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
