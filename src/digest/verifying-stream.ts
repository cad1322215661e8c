import { createHash, type Hash } from 'node:crypto';
import { PassThrough, Transform, type Readable, type TransformCallback } from 'node:stream';
import { BlobVerifier, type Expected } from './blob-verifier';
import type { Digest } from './digest';

/**
 * Passes bytes through unchanged and fails the stream when the content does not match `expected` (see
 * BlobVerifier). Reads of a blob from files and archives go through one of these; the registry's download is
 * its own verified stream (registry/client/resumable-body.ts) and declares so with `declareVerified`.
 */
export class VerifyingStream extends Transform {
  private readonly verifier: BlobVerifier;

  constructor(readonly expected: Expected) {
    super();
    this.verifier = new BlobVerifier(expected);
  }

  get bytesReceived(): number {
    return this.verifier.bytesReceived;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const error = this.verifier.update(chunk);
    if (error) callback(error);
    else callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    callback(this.verifier.finish());
  }
}

/** Hashes a stream as it flows, for content whose digest is not known in advance (new layers, synthesized configs). */
export class DigestingStream extends Transform {
  private readonly hash: Hash;
  private count = 0;
  private result: Digest | undefined;

  constructor(private readonly algorithm: 'sha256' | 'sha512' = 'sha256') {
    super();
    this.hash = createHash(algorithm);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.count += chunk.length;
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.result = `${this.algorithm}:${this.hash.digest('hex')}`;
    callback();
  }

  /** Valid once the stream has ended. */
  get digest(): Digest {
    if (!this.result) throw new Error('DigestingStream.digest read before the stream ended');
    return this.result;
  }

  get size(): number {
    return this.count;
  }
}

/**
 * Streams known to carry verified bytes besides VerifyingStreams: ones that verify by themselves
 * (`declareVerified`) and relays that pass on a verified stream's bytes and failure (progress counters).
 */
const relays = new WeakMap<Readable, Expected>();

/**
 * Declares that `stream` checks its bytes against `expected` itself, the way a VerifyingStream does: it fails
 * before its end on too many bytes and at its end on a short read or another digest.
 */
export function declareVerified(stream: Readable, expected: Expected): void {
  relays.set(stream, expected);
}

/**
 * Declares that `relay` passes on `upstream`'s bytes unchanged and fails whenever `upstream` fails (its
 * 'error' destroys `relay`), so a verified `upstream` makes `relay` as trustworthy: `isVerified` sees through it.
 */
export function relaysVerified(relay: Readable, upstream: Readable): void {
  const expected = upstream instanceof VerifyingStream ? upstream.expected : relays.get(upstream);
  if (expected) relays.set(relay, expected);
}

/**
 * Whether `content` is already verified against `expected`: a VerifyingStream for the same digest and size
 * (every source's fetch returns one), or a relay of one. Such a stream fails before its end on a mismatch.
 */
export function isVerified(content: Readable, expected: Expected): boolean {
  const known = content instanceof VerifyingStream ? content.expected : relays.get(content);
  return known !== undefined && known.digest === expected.digest && known.size === expected.size;
}

/**
 * The verifier a destination puts between `content` and its file. When `content` is already verified
 * (`isVerified`), hashing the bytes a second time would only cost CPU: a pass-through is returned instead.
 */
export function verifierFor(content: Readable, expected: Expected): Transform {
  if (isVerified(content, expected)) return new PassThrough();
  return new VerifyingStream(expected);
}
