import { describe, expect, it } from '@jest/globals';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { digestOf, VerifyingStream, verifierFor } from '../../src/digest';

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
});
