import { rootCertificates } from 'node:tls';
import type { Dispatcher } from 'undici';
import { DEFAULT_TIMEOUTS, type Timeouts } from './timeouts';
import { createAgent } from './undici-lite';

/**
 * TLS material for one host (issue 3 §4): produced by src/registry/tls (certs.d folders, --cert-dir,
 * --tls-verify). Defined here as a small structural interface so the client does not depend on how it is found.
 */
export interface TlsSettings {
  /** PEM CA certificates trusted in addition to the system store. */
  ca?: string[];
  /** PEM client certificate and key (mutual TLS, certs.d `client.cert` / `client.key`). */
  cert?: string;
  key?: string;
  rejectUnauthorized: boolean;
}

export type TlsLookup = (host: string) => Promise<TlsSettings> | TlsSettings;

export const systemTls: TlsLookup = () => ({ rejectUnauthorized: true });

/**
 * One keep-alive undici Agent per origin, because TLS trust is per host (a private CA for registry A must not
 * be trusted for registry B). Redirects are never followed by undici (we do it, see redirect.ts): undici 7's
 * `request` does not follow redirects unless a redirect interceptor is composed in, and we compose none.
 */
export class Dispatchers {
  private readonly agents = new Map<string, Promise<Dispatcher>>();

  constructor(
    private readonly tls: TlsLookup,
    /** Connections per origin: both lanes of the host limiter must fit, so small requests never queue here. */
    private readonly connectionsPerOrigin: number,
    /** Connect, response-headers and body-idle deadlines (timeouts.ts); the request deadline is the transport's. */
    private readonly timeouts: Timeouts = DEFAULT_TIMEOUTS,
  ) {}

  for(url: URL): Promise<Dispatcher> {
    const origin = url.origin;
    let agent = this.agents.get(origin);
    if (!agent) {
      agent = this.create(url);
      this.agents.set(origin, agent);
      // A failed TLS lookup must not be cached forever.
      agent.catch(() => this.agents.delete(origin));
    }
    return agent;
  }

  private async create(url: URL): Promise<Dispatcher> {
    const base = {
      connections: this.connectionsPerOrigin,
      keepAliveTimeout: 30_000,
      connectTimeout: this.timeouts.connectMs,
      headersTimeout: this.timeouts.responseMs,
      bodyTimeout: this.timeouts.idleMs,
    };
    if (url.protocol !== 'https:') return createAgent(base);
    const settings = await this.tls(url.host);
    return createAgent({
      ...base,
      connect: {
        // `ca` replaces Node's bundle, so the system roots are added back: private CA *plus* public CAs
        // (src/registry/tls already does; the Set keeps each certificate once).
        ca: settings.ca?.length ? [...new Set([...settings.ca, ...rootCertificates])] : undefined,
        cert: settings.cert,
        key: settings.key,
        rejectUnauthorized: settings.rejectUnauthorized,
      },
    });
  }

  async close(): Promise<void> {
    const agents = [...this.agents.values()];
    this.agents.clear();
    await Promise.all(agents.map(async (agent) => (await agent.catch(() => undefined))?.close()));
  }
}
