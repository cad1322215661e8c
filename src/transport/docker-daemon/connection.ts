import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import Docker from 'dockerode';
import { KimgError } from '../../errors';
import type { ScratchDirOptions } from '../../layer/scratch-dir';
import { daemonError } from './daemon-error';

/** Where the docker CLI looks when DOCKER_HOST is unset (docker/cli opts/hosts.go DefaultUnixSocket). */
export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';
/** docker/cli opts/hosts.go: DefaultHTTPPort and DefaultTLSHTTPPort, used when tcp:// names no port. */
export const DEFAULT_TCP_PORT = 2375;
export const DEFAULT_TLS_PORT = 2376;

/** The daemon's address as dockerode options, and as the user wrote it (for messages). */
export interface DaemonEndpoint {
  options: Docker.DockerOptions;
  /** `unix:///var/run/docker.sock`, `tcp://10.0.0.2:2376`. */
  display: string;
  /** DOCKER_TLS_VERIFY: the directory holding ca.pem, cert.pem and key.pem (DOCKER_CERT_PATH). */
  tlsDir?: string;
}

export interface DaemonConnection {
  docker: Docker;
  endpoint: DaemonEndpoint;
}

/**
 * `openScratch` / `tmpDir`: where exports and staged loads are kept while the target is open (the CLI: the
 * store's scratch space, so an interrupted command leaves nothing `kimg prune` cannot find; default a private
 * dir in os.tmpdir()).
 */
export interface DaemonOptions extends ScratchDirOptions {
  /** Where DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH are read, as the docker CLI reads them (process.env). */
  env?: NodeJS.ProcessEnv;
}

/** DOCKER_HOST as the docker CLI reads it: unix://PATH or tcp://HOST[:PORT]; unset means the default socket. */
export function parseDockerHost(env: NodeJS.ProcessEnv = process.env): DaemonEndpoint {
  const host = env.DOCKER_HOST?.trim() ?? '';
  if (host === '')
    return { options: { socketPath: DEFAULT_DOCKER_SOCKET }, display: `unix://${DEFAULT_DOCKER_SOCKET}` };
  const scheme = /^([a-z]+):\/\//.exec(host)?.[1];
  const rest = host.slice(`${scheme}://`.length);
  if (scheme === 'unix' && isAbsolute(rest)) return { options: { socketPath: rest }, display: host };
  if (scheme === 'tcp') {
    const tls = (env.DOCKER_TLS_VERIFY ?? '') !== '';
    let url: URL | undefined;
    try {
      url = new URL(`${tls ? 'https' : 'http'}://${rest}`);
    } catch {
      url = undefined;
    }
    if (url && url.hostname !== '' && (url.pathname === '/' || url.pathname === '')) {
      const port = url.port === '' ? (tls ? DEFAULT_TLS_PORT : DEFAULT_TCP_PORT) : Number(url.port);
      // docker-modem formats the address itself and brackets IPv6 hosts again.
      const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
      const options: Docker.DockerOptions = { host: hostname, port, protocol: tls ? 'https' : 'http' };
      const display = `tcp://${url.hostname}:${port}`;
      if (!tls) return { options, display };
      return { options, display, tlsDir: env.DOCKER_CERT_PATH || join(homedir(), '.docker') };
    }
  }
  throw new KimgError(
    'INVALID_ARGUMENT',
    `DOCKER_HOST="${host}" is not an address kimg can use`,
    'set DOCKER_HOST to unix:///path/to/docker.sock or tcp://HOST:PORT, or unset it for /var/run/docker.sock',
  );
}

/**
 * A client for the daemon DOCKER_HOST names, checked with `GET /_ping` so that an unreachable daemon is
 * reported when the transport is opened, naming the socket or host, rather than in the middle of a copy.
 */
export async function connectDaemon(options: DaemonOptions = {}): Promise<DaemonConnection> {
  const endpoint = parseDockerHost(options.env);
  if (endpoint.tlsDir !== undefined)
    endpoint.options = { ...endpoint.options, ...(await readTls(endpoint.tlsDir)) };
  const docker = new Docker(endpoint.options);
  try {
    await docker.ping();
  } catch (err) {
    throw daemonError(err, endpoint.display, 'answer a ping');
  }
  return { docker, endpoint };
}

/** DOCKER_TLS_VERIFY: client certificate and CA from DOCKER_CERT_PATH, as the docker CLI loads them. */
async function readTls(dir: string): Promise<Pick<Docker.DockerOptions, 'ca' | 'cert' | 'key'>> {
  try {
    const [ca, cert, key] = await Promise.all(
      ['ca.pem', 'cert.pem', 'key.pem'].map((name) => readFile(join(dir, name))),
    );
    return { ca, cert, key };
  } catch (err) {
    throw new KimgError(
      'INVALID_ARGUMENT',
      `DOCKER_TLS_VERIFY is set but the TLS files in ${dir} cannot be read: ${(err as Error).message}`,
      'put ca.pem, cert.pem and key.pem there, or point DOCKER_CERT_PATH at them',
      { cause: err },
    );
  }
}
