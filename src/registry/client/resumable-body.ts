import { Readable } from 'node:stream';
import { BlobVerifier, declareVerified, type Expected } from '../../digest';
import { isKimgError } from '../../errors';
import { isRetryableNetworkError } from '../http/network-errors';

/** A body re-opened at `offset`: the stream, and how many leading bytes to drop (a 200 that ignored Range). */
export interface Reopened {
  body: Readable;
  skip: number;
}

export interface ResumableBodyOptions {
  /** Re-requests the blob from byte `offset` (`Range: bytes=N-`, the answer checked by the caller). */
  reopen: (offset: number) => Promise<Reopened>;
  /** Re-opens in a row that bring no byte before giving up. */
  maxStalls: number;
  /** Turns the last network error into the error the reader sees when we give up. */
  describe: (err: unknown) => Error;
  signal?: AbortSignal;
  /**
   * A body that brings fewer than `bytes` in `windowMs` while we are reading it has stalled too (curl's
   * --speed-limit/--speed-time): a peer sending one byte a minute never trips an idle timer, and would hold a
   * download for good. It is re-opened like a drop; `error` is what the reader sees when we give up.
   */
  lowSpeed?: { bytes: number; windowMs: number; error: () => Error };
}

/*
 * Chunks buffered before the response body is paused. The default (16 KiB) is less than one socket read
 * (64 KiB), which would pause and resume the body after every chunk.
 */
const HIGH_WATER_MARK = 1024 * 1024;

/**
 * A blob download that verifies itself and survives connection drops (issue 3 §5), in one stream: each chunk
 * of the response body is hashed (BlobVerifier) and passed on; when the body fails with a network error, or
 * ends before `size` bytes, the blob is re-requested from the byte where it stopped and the bytes continue in
 * the same stream, the hash going on as if nothing happened. Gives up after `maxStalls` re-opens in a row that
 * brought no bytes. Too many bytes fail at once; a short read or another digest fails at the end.
 *
 * One stream instead of a generator, `Readable.from` and a VerifyingStream: every 64 KiB of a registry copy
 * went through three stream hops (and their promises) before; this is one.
 */
export class ResumableBlobBody extends Readable {
  private readonly verifier: BlobVerifier;
  private current: Readable | undefined;
  private skip = 0;
  private offset = 0;
  /** `offset` when the current body was opened: a body that ends without adding to it is a stall. */
  private openedAt = 0;
  private stalls = 0;
  private lastError: unknown;
  private readonly speedCheck: NodeJS.Timeout | undefined;
  private windowBytes = 0;
  /** We paused the current body in this window (our reader is slow): the window says nothing of the peer. */
  private pausedInWindow = false;

  constructor(
    first: Readable,
    expected: Expected,
    private readonly options: ResumableBodyOptions,
  ) {
    super({ highWaterMark: HIGH_WATER_MARK });
    this.verifier = new BlobVerifier(expected);
    declareVerified(this, expected);
    const lowSpeed = options.lowSpeed;
    if (lowSpeed) {
      this.speedCheck = setInterval(() => this.checkSpeed(lowSpeed), lowSpeed.windowMs);
      this.speedCheck.unref();
    }
    this.attach({ body: first, skip: 0 });
  }

  override _read(): void {
    this.current?.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearInterval(this.speedCheck);
    this.detach();
    callback(error);
  }

  private checkSpeed(lowSpeed: NonNullable<ResumableBodyOptions['lowSpeed']>): void {
    const slow = this.current !== undefined && !this.pausedInWindow && this.windowBytes < lowSpeed.bytes;
    this.windowBytes = 0;
    this.pausedInWindow = this.current?.isPaused() ?? false;
    if (!slow) return;
    this.lastError = lowSpeed.error();
    this.dropped();
  }

  private attach({ body, skip }: Reopened): void {
    this.current = body;
    this.skip = skip;
    this.openedAt = this.offset;
    this.windowBytes = 0;
    this.pausedInWindow = false;
    body.on('data', this.onData);
    body.once('end', this.onEnd);
    body.once('error', this.onError);
  }

  /** Lets go of the current body (its socket goes back to the pool or is closed). */
  private detach(): void {
    const body = this.current;
    if (!body) return;
    this.current = undefined;
    body.off('data', this.onData);
    body.off('end', this.onEnd);
    body.off('error', this.onError);
    body.on('error', () => {}); // a late error of a body we no longer read is not ours
    body.destroy();
  }

  private readonly onData = (data: Buffer): void => {
    let chunk = data;
    if (this.skip > 0) {
      const dropped = Math.min(this.skip, chunk.length);
      this.skip -= dropped;
      chunk = chunk.subarray(dropped);
      if (chunk.length === 0) return;
    }
    this.offset += chunk.length;
    this.windowBytes += chunk.length;
    const error = this.verifier.update(chunk);
    if (error) {
      this.destroy(error);
      return;
    }
    if (!this.push(chunk)) {
      this.current?.pause();
      this.pausedInWindow = true;
    }
  };

  private readonly onEnd = (): void => {
    // A clean end short of the size is a drop too (a proxy closing a keep-alive connection mid-body).
    if (this.offset >= this.verifier.expected.size) this.finish();
    else this.dropped();
  };

  private readonly onError = (err: unknown): void => {
    const { signal, describe } = this.options;
    if (signal?.aborted || isKimgError(err) || !isRetryableNetworkError(err)) {
      this.destroy(describe(err));
      return;
    }
    this.lastError = err;
    // Every byte arrived and only the close went wrong (a Content-Length longer than the blob): the digest
    // decides. Asking for `bytes=<size>-` would only earn a 416.
    if (this.offset >= this.verifier.expected.size) this.finish();
    else this.dropped();
  };

  private finish(): void {
    clearInterval(this.speedCheck);
    this.detach();
    const error = this.verifier.finish();
    if (error) this.destroy(error);
    else this.push(null);
  }

  /** The body stopped early: re-open it where it stopped, or give up after too many stalls. */
  private dropped(): void {
    this.detach();
    // Progress is what resets the count: a trickle that brings a few bytes per re-open does not.
    const progress = this.offset - this.openedAt >= (this.options.lowSpeed?.bytes ?? 1);
    this.stalls = progress ? 0 : this.stalls + 1;
    if (this.stalls >= this.options.maxStalls) {
      if (this.lastError !== undefined) this.destroy(this.options.describe(this.lastError));
      else this.finish(); // reports the short read
      return;
    }
    this.options.reopen(this.offset).then(
      (reopened) => {
        if (this.destroyed) reopened.body.destroy();
        else this.attach(reopened);
      },
      (err: unknown) => this.destroy(err as Error),
    );
  }
}
