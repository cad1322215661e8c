import { setMaxListeners } from 'node:events';
import type { Readable } from 'node:stream';
import { KimgError } from '../../errors';

/** A request body that can be produced again for a retry or a redirect hop (go-containerregistry's Opener). */
export type BodyOpener = () => Promise<Readable>;
export type RequestBody = Buffer | string | BodyOpener;

export async function openBody(
  body: RequestBody | undefined,
): Promise<Buffer | string | Readable | undefined> {
  if (typeof body === 'function') return body();
  return body;
}

/**
 * Reads at most `limit` bytes of an untrusted body into memory. Over the limit: with `truncate` the first
 * `limit` bytes are returned (error bodies: we still show what we got), otherwise SIZE_LIMIT is thrown.
 * Either way the rest is never read: the stream is destroyed, so a hostile registry cannot make us buffer a
 * gigabyte of "error message".
 */
export async function readLimited(
  body: Readable,
  limit: number,
  what: string,
  options: { truncate?: boolean; describe?: (err: unknown) => Error } = {},
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of body) {
      const buffer = chunk as Buffer;
      if (total + buffer.length > limit) {
        if (!options.truncate) {
          throw new KimgError(
            'SIZE_LIMIT',
            `${what} is larger than the ${limit}-byte limit`,
            'the registry sent more than any valid response needs; it may be misconfigured or hostile',
          );
        }
        chunks.push(buffer.subarray(0, limit - total));
        total = limit;
        break;
      }
      chunks.push(buffer);
      total += buffer.length;
    }
  } catch (err) {
    // A dropped or stalled body is the request's failure (one line naming it), not a crash.
    throw options.describe && !(err instanceof KimgError) ? options.describe(err) : err;
  } finally {
    body.destroy();
  }
  return Buffer.concat(chunks, total);
}

/**
 * How long a body we throw away may take to arrive before its connection is dropped instead of reused: a
 * redirect or retry response whose body trickles must not hold the request (blob requests have no other
 * deadline that would end it). Between this and twice this: see `discardDeadline`.
 */
export const DISCARD_WAIT_MS = 1000;

/** Throws away a response body we do not need, keeping the connection reusable when it is small. */
export async function discard(body: Readable): Promise<void> {
  const dump = (
    body as Readable & { dump?: (opts?: { limit: number; signal?: AbortSignal }) => Promise<void> }
  ).dump;
  try {
    if (typeof dump === 'function') {
      await dump.call(body, { limit: 128 * 1024, signal: discardDeadline() });
    } else body.destroy();
  } catch {
    body.destroy();
  }
}

let bucket: { signal: AbortSignal; until: number } | undefined;

/**
 * A signal that aborts DISCARD_WAIT_MS to twice that from now, shared by every discard started in the same
 * DISCARD_WAIT_MS: almost every response discarded is a bodiless HEAD, POST or PUT answer, and a signal of its
 * own each (`AbortSignal.timeout`) cost a timer and, when it fired a second later, a DOMException with a stack:
 * ~10% of the client's CPU per request (a 20-image sync discards ~250 bodies).
 */
function discardDeadline(): AbortSignal {
  const now = Date.now();
  if (!bucket || now >= bucket.until) {
    const controller = new AbortController();
    // Every discard of the window listens to it: many at once is the design, not a leak.
    setMaxListeners(0, controller.signal);
    const timer = setTimeout(
      () => controller.abort(new Error('response body not read in time')),
      2 * DISCARD_WAIT_MS,
    );
    timer.unref();
    bucket = { signal: controller.signal, until: now + DISCARD_WAIT_MS };
  }
  return bucket.signal;
}
