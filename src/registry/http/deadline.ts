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
  private readonly outer: AbortSignal | undefined;
  /**
   * The caller's signal forwarded by hand, and removed at `clear`: AbortSignal.any keeps its listener on the
   * caller's signal until the combined signal is garbage-collected, so a signal shared by many requests (a copy,
   * an embedding run) piled up listeners and node warned of a leak (MaxListenersExceededWarning).
   */
  private readonly forward = () => this.controller.abort(this.outer?.reason);

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
    this.outer = outer;
    if (outer?.aborted) this.forward();
    else outer?.addEventListener('abort', this.forward, { once: true });
  }

  /** The caller's signal and the deadline: what the request is sent with. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The TIMEOUT error when the deadline passed, else undefined. */
  get expired(): KimgError | undefined {
    const { reason } = this.controller.signal;
    return this.controller.signal.aborted && reason instanceof KimgError && reason.code === 'TIMEOUT'
      ? reason
      : undefined;
  }

  /** Keeps running until `body` closes (read to its end, discarded or destroyed). */
  until(body: Readable): void {
    this.body = body;
    if (body.destroyed) this.clear();
    else body.once('close', () => this.clear());
  }

  clear(): void {
    clearTimeout(this.timer);
    this.outer?.removeEventListener('abort', this.forward);
  }
}
