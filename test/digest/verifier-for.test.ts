import { describe, expect, it } from '@jest/globals';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PassThrough as Relay, Transform } from 'node:stream';
import { digestOf, isVerified, relaysVerified, VerifyingStream, verifierFor } from '../../src/digest';

const data = Buffer.from('layer bytes');
const expected = { digest: digestOf(data), size: data.length };

describe('verifierFor', () => {
  it('hashes again only when the content is not already verified for the same blob', () => {
    expect(verifierFor(Readable.from([data]), expected)).toBeInstanceOf(VerifyingStream);
    expect(verifierFor(new VerifyingStream(expected), expected)).toBeInstanceOf(PassThrough);
    expect(verifierFor(new VerifyingStream(expected), { ...expected, size: 3 })).toBeInstanceOf(
      VerifyingStream,
    );
  });

  it('a mismatch in the verified source still fails the destination pipeline', async () => {
    const wrong = { digest: digestOf('other'), size: data.length };
    const source = new VerifyingStream(wrong);
    Readable.from([data]).pipe(source);
    const sink = new PassThrough();
    sink.resume();
    await expect(pipeline(source, verifierFor(source, wrong), sink)).rejects.toMatchObject({
      code: 'DIGEST_MISMATCH',
    });
  });

  it('sees through a declared relay (a progress counter) of a verified stream, and through nothing else', () => {
    const source = new VerifyingStream(expected);
    const counter = new Relay();
    relaysVerified(counter, source);
    expect(isVerified(counter, expected)).toBe(true);
    expect(verifierFor(counter, expected)).toBeInstanceOf(PassThrough);
    const second = new Transform({ transform: (chunk, _e, callback) => callback(null, chunk) });
    relaysVerified(second, counter);
    expect(isVerified(second, expected)).toBe(true);
    expect(isVerified(counter, { ...expected, digest: digestOf('other') })).toBe(false);
    const undeclared = new Relay();
    relaysVerified(undeclared, Readable.from([data]));
    expect(isVerified(undeclared, expected)).toBe(false);
    expect(verifierFor(undeclared, expected)).toBeInstanceOf(VerifyingStream);
  });
});
