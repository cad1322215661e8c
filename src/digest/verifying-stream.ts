import { createHash, type Hash } from 'node:crypto';
import { PassThrough, Transform, type Readable, type TransformCallback } from 'node:stream';
import { KimgError } from '../errors';
import { parseDigest, type Digest } from './digest';

export interface Expected {
  digest: string;
  size: number;
  /** Names the blob in errors, e.g. "layer 2 of docker.io/library/nginx:1" or an archive member. */
  label?: string;
}

/**
 * Passes bytes through unchanged and fails the stream when the content does not match `expected`:
 * at once when more than `size` bytes arrive (so a lying server cannot make us read forever), and at the end
 * when the size or digest differs. Every read of a blob, from any source, goes through one of these.
 */
export class VerifyingStream extends Transform {
  private readonly hash: Hash;
  private received = 0;

  constructor(readonly expected: Expected) {
    super();
    this.hash = createHash(parseDigest(expected.digest).algorithm);
  }

  get bytesReceived(): number {
    return this.received;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.received += chunk.length;
    if (this.received > this.expected.size) {
      callback(this.sizeError());
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.received !== this.expected.size) {
      callback(this.sizeError());
      return;
    }
    const { algorithm } = parseDigest(this.expected.digest);
    const actual: Digest = `${algorithm}:${this.hash.digest('hex')}`;
    if (actual !== this.expected.digest) {
      callback(
        new KimgError(
          'DIGEST_MISMATCH',
          `digest mismatch for ${this.name()}: expected ${this.expected.digest}, got ${actual}`,
          'the content is corrupt or was changed after it was written; fetch it again from a trusted source',
        ),
      );
      return;
    }
    callback();
  }

  private sizeError(): KimgError {
    return new KimgError(
      'SIZE_MISMATCH',
      `size mismatch for ${this.name()}: expected ${this.expected.size} bytes, got ${this.received > this.expected.size ? 'more' : this.received}`,
      'the content is truncated or corrupt; fetch it again from a trusted source',
    );
  }

  private name(): string {
    return this.expected.label ?? this.expected.digest;
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

/** Streams that pass on a VerifyingStream's bytes unchanged, and its failure (progress counters). */
const relays = new WeakMap<Readable, Expected>();

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
