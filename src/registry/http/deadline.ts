import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import { KimgError } from '../../errors';
import { redactUrl } from './redact';
import { formatDuration, timeoutHint } from './timeouts';

/**
 * The whole-request deadline of a small document (timeouts.ts `requestMs`): from sending the request to the
 * last byte of its body. undici's own timers cannot see a peer that sends one byte every few seconds (each
 * byte restarts the idle timer), which is how a manifest at 1 byte/s held kimg for good. Passed to undici as
 * the request's signal: expiring before the headers rejects the request, after them destroys the body, either
 * way with the TIMEOUT error below as the reason.
 *
 * The signal is this object, an EventEmitter with `aborted` and `reason` (undici takes one as well as an
 * AbortSignal), not an AbortController's: every small request has one, and an AbortSignal plus an EventTarget
 * listener on the caller's signal each were ~5% of the client's CPU per request (issue 12, a 20-image sync).
 */
export class RequestDeadline extends EventEmitter {
  aborted = false;
  reason: unknown = undefined;
  private readonly timer: NodeJS.Timeout;
  private body: Readable | undefined;

  constructor(
    ms: number,
    method: string,
    url: URL,
    private readonly outer: AbortSignal | undefined,
  ) {
    super();
    this.timer = setTimeout(() => {
      const error = new KimgError(
        'TIMEOUT',
        `${method} ${redactUrl(url)}: not complete within ${formatDuration(ms)}`,
        timeoutHint('requestMs'),
      );
      this.abort(error);
      this.body?.destroy(error); // a body whose request was not sent with `signal` (see transport.ts)
    }, ms);
    if (outer?.aborted) this.abort(outer.reason);
    else if (outer) followers(outer).add(this);
  }

  /** The caller's signal and the deadline: what the request is sent with. */
  get signal(): EventEmitter & { aborted: boolean; reason: unknown } {
    return this;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.emit('abort');
  }

  /** The TIMEOUT error when the deadline passed, else undefined. */
  get expired(): KimgError | undefined {
    const { reason } = this;
    return this.aborted && reason instanceof KimgError && reason.code === 'TIMEOUT' ? reason : undefined;
  }

  /** Keeps running until `body` closes (read to its end, discarded or destroyed). */
  until(body: Readable): void {
    this.body = body;
    if (body.destroyed) this.clear();
    else body.once('close', () => this.clear());
  }

  clear(): void {
    clearTimeout(this.timer);
    if (this.outer) followers(this.outer).delete(this);
  }
}

/**
 * The deadlines following a caller's signal, with one listener on it for all of them: a signal shared by many
 * requests (a copy, a sync run) would otherwise get and lose a listener per request. A deadline leaves the set at
 * `clear`, so none is kept past its request.
 */
const following = new WeakMap<AbortSignal, Set<RequestDeadline>>();

function followers(outer: AbortSignal): Set<RequestDeadline> {
  let set = following.get(outer);
  if (!set) {
    const deadlines = new Set<RequestDeadline>();
    outer.addEventListener(
      'abort',
      () => {
        for (const deadline of deadlines) deadline.abort(outer.reason);
      },
      { once: true },
    );
    following.set(outer, deadlines);
    set = deadlines;
  }
  return set;
}
