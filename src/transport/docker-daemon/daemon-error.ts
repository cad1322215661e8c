import { KimgError } from '../../errors';

/** Daemon messages quoted in ours are capped like registry error bodies (STYLE.md: 64 KiB). */
export const MAX_DAEMON_MESSAGE_BYTES = 64 * 1024;

/** Socket and network failures: the daemon was never reached, so it has nothing to say. */
const UNREACHABLE = new Set([
  'ENOENT',
  'ECONNREFUSED',
  'EACCES',
  'EPERM',
  'ENOTSOCK',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

export const START_DAEMON_HINT =
  'start dockerd (e.g. `systemctl start docker`), or set DOCKER_HOST to the daemon you mean (unix:///path/to/docker.sock or tcp://HOST:PORT)';

interface ModemError {
  code?: string;
  statusCode?: number;
  /** docker-modem puts the daemon's JSON error body here: `{"message": "…"}` (Engine API ErrorResponse). */
  json?: unknown;
  message?: string;
  name?: string;
}

export function capMessage(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > MAX_DAEMON_MESSAGE_BYTES
    ? `${trimmed.slice(0, MAX_DAEMON_MESSAGE_BYTES)}…`
    : trimmed;
}

/**
 * Turns what dockerode rejects with into a KimgError: DAEMON_ERROR naming the daemon and what it was asked
 * to do, quoting the daemon's own message when it answered, and saying how to reach it when it did not.
 */
export function daemonError(err: unknown, endpoint: string, action: string): KimgError {
  if (err instanceof KimgError) return err;
  const e = (err ?? {}) as ModemError;
  if (e.name === 'AbortError') {
    return new KimgError(
      'ABORTED',
      `asking the Docker daemon at ${endpoint} to ${action} was cancelled`,
      undefined,
      {
        cause: err,
      },
    );
  }
  if (e.code !== undefined && UNREACHABLE.has(e.code)) {
    const denied = e.code === 'EACCES' || e.code === 'EPERM';
    return new KimgError(
      'DAEMON_ERROR',
      `cannot reach the Docker daemon at ${endpoint}: ${e.message ?? e.code}`,
      denied ? 'run kimg as root or as a member of the docker group, or set DOCKER_HOST' : START_DAEMON_HINT,
      { cause: err },
    );
  }
  if (e.statusCode !== undefined) {
    const body = e.json as { message?: unknown } | string | undefined;
    const said =
      typeof body === 'string' ? body : typeof body?.message === 'string' ? body.message : (e.message ?? '');
    return new KimgError(
      'DAEMON_ERROR',
      `the Docker daemon at ${endpoint} failed to ${action} (HTTP ${e.statusCode}): ${capMessage(said)}`,
      undefined,
      { cause: err },
    );
  }
  return new KimgError(
    'DAEMON_ERROR',
    `the Docker daemon at ${endpoint} failed to ${action}: ${capMessage(e.message ?? String(err))}`,
    undefined,
    { cause: err },
  );
}
