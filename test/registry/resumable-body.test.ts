import { describe, expect, it } from '@jest/globals';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { digestOf, isVerified } from '../../src/digest';
import { KimgError } from '../../src/errors';
import { ResumableBlobBody, type Reopened } from '../../src/registry/client/resumable-body';
import { seededBytes } from '../fixtures/random-image';

// Edge cases of a dropped download that a real registry cannot be made to produce on demand (a clean end mid-body,
// a 200 that ignores Range, endless stalls) — fed from plain streams. The reset-and-resume path against the real
// registry is in faults.test.ts.

const blob = seededBytes('resumable', 300_000);
const expected = { digest: digestOf(blob), size: blob.length, label: 'test blob' };

/** A body that sends `bytes` in 64 KiB chunks, then ends or fails with `fail`. */
function body(bytes: Buffer, fail?: Error): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 65536) chunks.push(bytes.subarray(i, i + 65536));
  let i = 0;
  return new Readable({
    read() {
      const chunk = chunks[i++];
      if (chunk) this.push(chunk);
      else if (fail) this.destroy(fail);
      else this.push(null);
    },
  });
}

const reset = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

async function drain(stream: Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(
    stream,
    new Writable({
      write(chunk: Buffer, _e, callback) {
        out.push(chunk);
        callback();
      },
    }),
  );
  return Buffer.concat(out);
}

function resumable(first: Readable, reopen: (offset: number) => Promise<Reopened>, maxStalls = 3) {
  return new ResumableBlobBody(first, expected, {
    reopen,
    maxStalls,
    describe: (err) => new KimgError('NETWORK_ERROR', `GET failed: ${(err as Error).message}`),
  });
}

describe('ResumableBlobBody', () => {
  it('passes a whole body through, verified, and says so to destinations (no second hash)', async () => {
    const stream = resumable(body(blob), () => Promise.reject(new Error('not needed')));
    expect(isVerified(stream, expected)).toBe(true);
    expect(isVerified(stream, { ...expected, size: 1 })).toBe(false);
    expect((await drain(stream)).equals(blob)).toBe(true);
  });

  it('resumes after a reset and after a clean end short of the size, from the byte where it stopped', async () => {
    const offsets: number[] = [];
    const stream = resumable(body(blob.subarray(0, 100_000), reset()), async (offset) => {
      offsets.push(offset);
      // the second body ends cleanly (a proxy closing keep-alive) after 50 000 more bytes
      if (offsets.length === 1) return { body: body(blob.subarray(offset, offset + 50_000)), skip: 0 };
      return { body: body(blob.subarray(offset)), skip: 0 };
    });
    expect((await drain(stream)).equals(blob)).toBe(true);
    expect(offsets).toEqual([100_000, 150_000]);
  });

  it('drops the bytes it already has when the server ignores Range and sends the whole blob again', async () => {
    const stream = resumable(body(blob.subarray(0, 70_000), reset()), async (offset) => ({
      body: body(blob),
      skip: offset,
    }));
    expect((await drain(stream)).equals(blob)).toBe(true);
  });

  it('gives up after maxStalls re-opens that bring nothing, with the network error', async () => {
    let reopens = 0;
    const stream = resumable(
      body(blob.subarray(0, 10_000), reset()),
      async () => {
        reopens++;
        return { body: body(Buffer.alloc(0), reset()), skip: 0 };
      },
      3,
    );
    await expect(drain(stream)).rejects.toMatchObject({
      code: 'NETWORK_ERROR',
      message: expect.stringContaining('socket hang up'),
    });
    expect(reopens).toBe(3);
  });

  it('reports a short read when the bodies keep ending early without an error', async () => {
    const stream = resumable(
      body(blob.subarray(0, 10_000)),
      async () => ({ body: body(Buffer.alloc(0)), skip: 0 }),
      2,
    );
    await expect(drain(stream)).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
  });

  it('fails at once on an error that is not a network drop, without re-opening', async () => {
    let reopens = 0;
    const stream = resumable(body(blob.subarray(0, 10_000), new Error('disk on fire')), async () => {
      reopens++;
      return { body: body(blob), skip: 0 };
    });
    await expect(drain(stream)).rejects.toThrow('disk on fire');
    expect(reopens).toBe(0);
  });

  it('refuses other content by digest, and too much content before its end', async () => {
    const other = Buffer.from(blob);
    other[12345] = (other[12345] as number) ^ 1;
    await expect(drain(resumable(body(other), () => Promise.reject(new Error('x'))))).rejects.toMatchObject({
      code: 'DIGEST_MISMATCH',
    });
    const seen: number[] = [];
    const tooLong = resumable(body(Buffer.concat([blob, blob])), () => Promise.reject(new Error('x')));
    tooLong.on('data', (chunk: Buffer) => seen.push(chunk.length));
    await expect(drain(tooLong)).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
    expect(seen.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(blob.length);
  });

  it('pauses the response body while the reader is slow, and destroys it when the reader gives up', async () => {
    const source = new PassThrough();
    const big = { digest: digestOf('big'), size: 100 * 1024 * 1024 };
    const stream = new ResumableBlobBody(source, big, {
      reopen: () => Promise.reject(new Error('x')),
      maxStalls: 1,
      describe: (err) => err as Error,
    });
    // Nobody reads: after the high-water mark the source must be paused, not drained into memory.
    for (let i = 0; i < 40; i++) source.write(Buffer.alloc(65536));
    await new Promise((resolve) => setImmediate(resolve));
    expect(source.isPaused()).toBe(true);
    expect(stream.readableLength).toBeLessThanOrEqual(2 * 1024 * 1024);
    stream.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    expect(source.destroyed).toBe(true);
  });

  it('finishes on the digest when every byte arrived before the connection failed (no resume at the size)', async () => {
    const reopens: number[] = [];
    const stream = resumable(body(blob, reset()), async (offset) => {
      reopens.push(offset);
      return { body: body(Buffer.alloc(0)), skip: 0 };
    });
    expect((await drain(stream)).equals(blob)).toBe(true);
    expect(reopens).toEqual([]);
  });

  /** `bytes` sent one byte every `everyMs`, then the end. */
  function trickle(bytes: Buffer, everyMs: number): Readable {
    let i = 0;
    const stream = new Readable({ read() {} });
    const timer = setInterval(() => {
      if (stream.destroyed) return clearInterval(timer);
      if (i >= bytes.length) {
        clearInterval(timer);
        stream.push(null);
      } else stream.push(bytes.subarray(i, ++i));
    }, everyMs);
    return stream;
  }

  const lowSpeed = {
    bytes: 1024,
    windowMs: 150,
    error: () => new KimgError('TIMEOUT', 'less than 1024 bytes within 150 ms'),
  };

  it('a trickling body is a stall: re-opened where it stopped, and given up on when every re-open trickles', async () => {
    const reopens: number[] = [];
    const healed = new ResumableBlobBody(trickle(blob, 20), expected, {
      reopen: async (offset) => {
        reopens.push(offset);
        return { body: body(blob.subarray(offset)), skip: 0 };
      },
      maxStalls: 3,
      describe: (err) => err as Error,
      lowSpeed,
    });
    expect((await drain(healed)).equals(blob)).toBe(true);
    expect(reopens).toHaveLength(1);
    expect(reopens[0]).toBeGreaterThan(0);

    const started = Date.now();
    const hopeless = new ResumableBlobBody(trickle(blob, 20), expected, {
      reopen: async (offset) => ({ body: trickle(blob.subarray(offset), 20), skip: 0 }),
      maxStalls: 3,
      describe: (err) => err as Error,
      lowSpeed,
    });
    await expect(drain(hopeless)).rejects.toThrow('less than 1024 bytes within 150 ms');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('a reader that is slow is not a stall of the peer', async () => {
    // Over the stream's 1 MiB buffer, so the response body is paused while the reader sleeps.
    const big = seededBytes('slow reader', 1_500_000);
    const bigExpected = { digest: digestOf(big), size: big.length, label: 'big blob' };
    let reopened = 0;
    const stream = new ResumableBlobBody(body(big), bigExpected, {
      reopen: async () => {
        reopened++;
        return { body: body(Buffer.alloc(0)), skip: 0 };
      },
      maxStalls: 3,
      describe: (err) => err as Error,
      lowSpeed,
    });
    const out: Buffer[] = [];
    await pipeline(
      stream,
      new Writable({
        highWaterMark: 1,
        write(chunk: Buffer, _e, callback) {
          out.push(chunk);
          // The first chunks take 600 ms each: whole 150 ms windows pass with the body paused.
          setTimeout(callback, out.length <= 3 ? 600 : 0);
        },
      }),
    );
    expect(Buffer.concat(out).equals(big)).toBe(true);
    expect(reopened).toBe(0);
  });
});
