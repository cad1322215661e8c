import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

// RFC 9110 §7.6.1: connection-specific headers are not forwarded by intermediaries.
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
];

export interface ForwardOptions {
  upstream: URL;
  agent: HttpAgent | HttpsAgent;
  ca?: string;
  /** Request headers to send instead of the client's (already filtered). */
  headers: OutgoingHttpHeaders;
  /** Maps a response `Location` (e.g. an upload URL on the upstream) to one the client should use. */
  rewriteLocation(location: string): string;
  dropHeaders?: string[];
  corruptOffsets?: number[];
  resetAfterBytes?: number;
  /** Forward this many body bytes, then nothing more, the connection left open (the client must give up). */
  stallAfterBytes?: number;
  onStatus(status: number): void;
}

export function forwardableHeaders(headers: IncomingHttpHeaders, host: string): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined && !HOP_BY_HOP.includes(name)) out[name] = value;
  out.host = host;
  return out;
}

/** Streams one request to the upstream and its response back, applying byte-level faults on the way. */
export function forward(req: IncomingMessage, res: ServerResponse, options: ForwardOptions): void {
  const { upstream } = options;
  const send = upstream.protocol === 'https:' ? httpsRequest : httpRequest;
  const upstreamReq = send(
    {
      protocol: upstream.protocol,
      hostname: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: options.headers,
      agent: options.agent,
      ca: options.ca,
    },
    (upstreamRes) => {
      const status = upstreamRes.statusCode ?? 502;
      const headers: OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(upstreamRes.headers)) {
        if (value === undefined || HOP_BY_HOP.includes(name) || options.dropHeaders?.includes(name)) continue;
        headers[name] =
          name === 'location' && typeof value === 'string' ? options.rewriteLocation(value) : value;
      }
      res.writeHead(status, headers);
      options.onStatus(status);
      let passed = 0;
      let stalled = false;
      const reset = options.resetAfterBytes;
      if (reset === 0) return resetAfterFlush(res, upstreamRes);
      upstreamRes.on('data', (chunk: Buffer) => {
        for (const offset of options.corruptOffsets ?? []) {
          if (offset >= passed && offset < passed + chunk.length) {
            chunk = Buffer.from(chunk);
            chunk[offset - passed] = (chunk[offset - passed] ?? 0) ^ 0xff;
          }
        }
        if (reset !== undefined && passed + chunk.length >= reset) {
          upstreamRes.destroy();
          res.write(chunk.subarray(0, reset - passed), () => res.destroy());
          return;
        }
        const stall = options.stallAfterBytes;
        if (stalled) return;
        if (stall !== undefined && passed + chunk.length >= stall) {
          // Paused, not destroyed: the client sees a response that never ends nor fails.
          stalled = true;
          upstreamRes.pause();
          res.write(chunk.subarray(0, stall - passed));
          res.once('close', () => upstreamRes.destroy());
          return;
        }
        passed += chunk.length;
        if (!res.write(chunk)) {
          upstreamRes.pause();
          res.once('drain', () => upstreamRes.resume());
        }
      });
      upstreamRes.on('end', () => res.end());
      upstreamRes.on('error', () => res.destroy());
    },
  );
  upstreamReq.on('error', (error) => {
    if (res.headersSent) return void res.destroy();
    options.onStatus(502);
    res
      .writeHead(502, { 'content-type': 'text/plain' })
      .end(`fault proxy: upstream failed: ${error.message}`);
  });
  req.pipe(upstreamReq);
}

/** Headers out, then the connection dies before any body byte. */
function resetAfterFlush(res: ServerResponse, upstreamRes: IncomingMessage): void {
  upstreamRes.destroy();
  res.flushHeaders();
  setImmediate(() => res.destroy());
}

export function makeAgent(upstream: URL): HttpAgent | HttpsAgent {
  return upstream.protocol === 'https:'
    ? new HttpsAgent({ keepAlive: true })
    : new HttpAgent({ keepAlive: true });
}
