import { Readable } from 'node:stream';
import { isKimgError } from '../../errors';
import { isRetryableNetworkError } from '../http/network-errors';

/** A body re-opened at `offset`: the stream, and how many leading bytes to drop (a 200 that ignored Range). */
export interface Reopened {
  body: Readable;
  skip: number;
}

/**
 * A download that survives connection drops (issue 3 §5): when the body fails with a network error, or ends
 * before `size` bytes, it is re-requested from the byte where it stopped (`Range: bytes=N-`, checked by the
 * caller against `Content-Range`) and the bytes continue in the same stream, so the VerifyingStream after
 * it keeps hashing as if nothing happened. Gives up after `maxStalls` re-opens in a row that brought no bytes.
 */
export function resumableBody(
  first: Readable,
  size: number,
  reopen: (offset: number) => Promise<Reopened>,
  maxStalls: number,
  /** Turns the last network error into the error the reader sees when we give up. */
  describe: (err: unknown) => Error,
  signal?: AbortSignal,
): Readable {
  async function* bytes(): AsyncGenerator<Buffer> {
    let current: Reopened = { body: first, skip: 0 };
    let offset = 0;
    let stalls = 0;
    let lastError: unknown;
    try {
      for (;;) {
        const before = offset;
        try {
          for await (const chunk of current.body) {
            let buffer = chunk as Buffer;
            if (current.skip > 0) {
              const dropped = Math.min(current.skip, buffer.length);
              current.skip -= dropped;
              buffer = buffer.subarray(dropped);
              if (buffer.length === 0) continue;
            }
            offset += buffer.length;
            yield buffer;
          }
          // A clean end short of the size is a drop too (a proxy closing a keep-alive connection mid-body).
          if (offset >= size) return;
        } catch (err) {
          if (signal?.aborted || isKimgError(err) || !isRetryableNetworkError(err)) throw describe(err);
          lastError = err;
        }
        current.body.destroy();
        stalls = offset > before ? 0 : stalls + 1;
        if (stalls >= maxStalls) {
          if (lastError !== undefined) throw describe(lastError);
          return; // the VerifyingStream reports the short read
        }
        current = await reopen(offset);
      }
    } finally {
      current.body.destroy();
    }
  }
  return Readable.from(bytes(), { objectMode: false });
}
