import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { digestOf, DigestingStream, VerifyingStream } from '../../src/digest';
import { isKimgError } from '../../src/errors';

const content = Buffer.from('hello, registry');

function chunks(...parts: Buffer[]): Readable {
  return Readable.from(parts);
}

/** Collects the bytes that made it through, to check what a consumer saw before a failure. */
function sink(): { stream: Writable; received: Buffer[] } {
  const received: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      received.push(chunk);
      callback();
    },
  });
  return { stream, received };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the pipeline to fail');
}

describe('VerifyingStream', () => {
  test('passes matching content through unchanged', async () => {
    const out = sink();
    const verifier = new VerifyingStream({ digest: digestOf(content), size: content.length });
    await pipeline(chunks(content.subarray(0, 5), content.subarray(5)), verifier, out.stream);
    expect(Buffer.concat(out.received).equals(content)).toBe(true);
    expect(verifier.bytesReceived).toBe(content.length);
  });

  test('fails with DIGEST_MISMATCH when the bytes differ but the size matches', async () => {
    const tampered = Buffer.from(content);
    tampered[0] = 0x48;
    const label = 'layer 1 of app:1';
    const err = await failure(
      pipeline(
        chunks(tampered),
        new VerifyingStream({ digest: digestOf(content), size: content.length, label }),
        sink().stream,
      ),
    );
    expect(isKimgError(err, 'DIGEST_MISMATCH')).toBe(true);
    expect((err as Error).message).toContain(label);
    expect((err as Error).message).toContain(digestOf(tampered));
  });

  test('fails with SIZE_MISMATCH when the content is truncated', async () => {
    const err = await failure(
      pipeline(
        chunks(content.subarray(0, 4)),
        new VerifyingStream({ digest: digestOf(content), size: content.length }),
        sink().stream,
      ),
    );
    expect(isKimgError(err, 'SIZE_MISMATCH')).toBe(true);
    expect((err as Error).message).toContain('got 4');
  });

  test('fails as soon as more bytes than the size arrive, before reading the rest', async () => {
    let pulled = 0;
    const endless = new Readable({
      read() {
        pulled += 1;
        this.push(Buffer.alloc(1024, 1));
      },
    });
    const out = sink();
    const err = await failure(
      pipeline(endless, new VerifyingStream({ digest: digestOf(content), size: 2048 }), out.stream),
    );
    expect(isKimgError(err, 'SIZE_MISMATCH')).toBe(true);
    expect(pulled).toBeLessThan(100);
    // The chunk that crossed the limit is never passed on.
    expect(Buffer.concat(out.received).length).toBeLessThanOrEqual(2048);
  });

  test('an empty blob with size 0 verifies', async () => {
    await expect(
      pipeline(chunks(), new VerifyingStream({ digest: digestOf(''), size: 0 }), sink().stream),
    ).resolves.toBeUndefined();
  });

  test('verifies sha512 digests', async () => {
    const verifier = new VerifyingStream({ digest: digestOf(content, 'sha512'), size: content.length });
    await expect(pipeline(chunks(content), verifier, sink().stream)).resolves.toBeUndefined();
  });

  test('refuses an invalid expected digest at construction', () => {
    expect(() => new VerifyingStream({ digest: 'sha256:nope', size: 1 })).toThrow(
      expect.objectContaining({ code: 'DIGEST_INVALID' }),
    );
  });
});

describe('DigestingStream', () => {
  test('computes digest and size while passing bytes through', async () => {
    const out = sink();
    const digesting = new DigestingStream();
    await pipeline(chunks(content.subarray(0, 3), content.subarray(3)), digesting, out.stream);
    expect(digesting.digest).toBe(digestOf(content));
    expect(digesting.size).toBe(content.length);
    expect(Buffer.concat(out.received).equals(content)).toBe(true);
  });

  test('sha512 on request', async () => {
    const digesting = new DigestingStream('sha512');
    await pipeline(chunks(content), digesting, sink().stream);
    expect(digesting.digest).toBe(digestOf(content, 'sha512'));
  });

  test('reading the digest before the end is a programming error', () => {
    expect(() => new DigestingStream().digest).toThrow(/before the stream ended/);
  });
});
