import { promises as fs } from 'node:fs';
import type { Readable } from 'node:stream';
import { FILE_READ_CHUNK, VerifyingStream } from '../digest';
import { KimgError } from '../errors';
import type { Descriptor } from '../manifest';

/**
 * A blob file's bytes through a VerifyingStream (every read is verified: transport/types.ts). The file is
 * opened before returning, so a missing blob rejects here with BLOB_UNKNOWN rather than later in the stream.
 * Shared by the store, `oci:` layouts and `registry-dir:`, whose blobs are all plain files.
 */
export async function openVerifiedFile(file: string, desc: Descriptor, where: string): Promise<Readable> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new KimgError(
      'BLOB_UNKNOWN',
      `blob ${desc.digest} is not in ${where}`,
      'the image is incomplete; copy it again',
    );
  }
  const source = handle.createReadStream({ highWaterMark: FILE_READ_CHUNK });
  const verifier = new VerifyingStream({
    digest: desc.digest,
    size: desc.size,
    label: `blob ${desc.digest} in ${where}`,
  });
  source.on('error', (err) => verifier.destroy(err));
  verifier.on('close', () => source.destroy());
  return source.pipe(verifier);
}
