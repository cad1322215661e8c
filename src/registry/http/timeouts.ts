import { KimgError } from '../../errors';

/**
 * Deadlines on every registry request (issue 9, "Deadlines"): a peer that stops talking must not hold kimg
 * for good. The defaults are far above what a slow but live WAN link needs, so only a dead or hostile peer
 * hits them:
 * - connect 30 s: a TCP + TLS handshake takes a few round trips; 30 s covers several SYN retransmissions
 *   (Linux waits 1, 2, 4, 8 s) where undici's 10 s would give up on a lossy satellite link. curl's default is 300 s.
 * - response 60 s: from the request sent to the response headers. Registries answer headers at once, even
 *   for a blob they stream from object storage; a manifest PUT that makes the registry verify every blob is
 *   the slowest we know of (seconds). containerd and docker use no header timeout; go-containerregistry's
 *   default transport waits 30 s for the headers of a response.
 * - idle 60 s: no byte of a response body for that long. A congested link still brings a packet every few
 *   seconds; TCP itself gives up on a silent peer later, after ~15 minutes of retransmissions.
 * - request 120 s: a whole small document (manifest ≤ 4 MiB, tags page, referrers index, token, HEAD) from
 *   the request to its last byte: 4 MiB at 40 KiB/s. Blobs have no such deadline (a layer may rightly take
 *   hours); they resume with Range after a stall instead.
 */
export interface Timeouts {
  connectMs: number;
  responseMs: number;
  idleMs: number;
  requestMs: number;
}

export const DEFAULT_TIMEOUTS: Readonly<Timeouts> = {
  connectMs: 30_000,
  responseMs: 60_000,
  idleMs: 60_000,
  requestMs: 120_000,
};

/**
 * After the last byte of an upload, a registry may still move the blob within its storage before it answers
 * (distribution on S3 copies the upload into place: minutes for a multi-GB layer). The PUT that completes an
 * upload waits this many times the response (and, without a body, request) timeout: 10 and 20 min by default.
 */
export const UPLOAD_RESPONSE_FACTOR = 10;

/** The flag and environment variable that set each timeout (named in the errors that hit them). */
export const TIMEOUT_SETTINGS: Readonly<Record<keyof Timeouts, { flag: string; env: string }>> = {
  connectMs: { flag: '--connect-timeout', env: 'KIMG_CONNECT_TIMEOUT' },
  responseMs: { flag: '--response-timeout', env: 'KIMG_RESPONSE_TIMEOUT' },
  idleMs: { flag: '--idle-timeout', env: 'KIMG_IDLE_TIMEOUT' },
  requestMs: { flag: '--request-timeout', env: 'KIMG_REQUEST_TIMEOUT' },
};

/** `500ms`, `30s`, `2m`, or a number of seconds (`1.5`). Zero or less is refused: a deadline of nothing. */
export function parseDuration(text: string, setting: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(text);
  const value = match ? Number(match[1]) * ({ ms: 1, s: 1000, m: 60_000 }[match[2] ?? 's'] ?? 1000) : NaN;
  if (!Number.isFinite(value) || value < 1 || value > 2_147_483_647) {
    throw new KimgError(
      'INVALID_ARGUMENT',
      `${setting}: "${text}" is not a duration`,
      'give seconds (30), or a number with ms, s or m (500ms, 30s, 2m)',
    );
  }
  return Math.round(value);
}

/** `1 s`, `500 ms`, `2 min`: how an error says which deadline passed. */
export function formatDuration(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}

/** The hint of an error that hit `which`: how to raise it. */
export function timeoutHint(which: keyof Timeouts): string {
  const { flag, env } = TIMEOUT_SETTINGS[which];
  return `the registry stopped answering; if it is only slow, raise ${flag} (or ${env})`;
}
