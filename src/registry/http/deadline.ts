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
 */
export class RequestDeadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private body: Readable | undefined;
  /** The caller's signal and the deadline: what the request is sent with. */
  readonly signal: AbortSignal;

  constructor(ms: number, method: string, url: URL, outer: AbortSignal | undefined) {
    this.timer = setTimeout(() => {
      const error = new KimgError(
        'TIMEOUT',
        `${method} ${redactUrl(url)}: not complete within ${formatDuration(ms)}`,
        timeoutHint('requestMs'),
      );
      this.controller.abort(error);
      this.body?.destroy(error); // a body whose request was not sent with `signal` (see transport.ts)
    }, ms);
    this.signal = outer ? AbortSignal.any([outer, this.controller.signal]) : this.controller.signal;
  }

  /** The TIMEOUT error when the deadline passed, else undefined. */
  get expired(): KimgError | undefined {
    return this.controller.signal.aborted ? (this.controller.signal.reason as KimgError) : undefined;
  }

  /** Keeps running until `body` closes (read to its end, discarded or destroyed). */
  until(body: Readable): void {
    this.body = body;
    if (body.destroyed) this.clear();
    else body.once('close', () => this.clear());
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}
