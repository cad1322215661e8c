import type { Readable } from 'node:stream';
import { FILE_READ_CHUNK, VerifyingStream } from '../digest';
import { KimgError } from '../errors';
import { openRegularFile, readBoundedFile } from '../fs';
import { MAX_MANIFEST_BYTES, type Descriptor } from '../manifest';
import { MANIFEST_LIMIT_HINT } from './graph';

/**
 * A blob file's bytes through a VerifyingStream (every read is verified: transport/types.ts). The file is
 * opened before returning, so a missing blob rejects here with BLOB_UNKNOWN rather than later in the stream.
 * Shared by the store, `oci:` layouts and `registry-dir:`, whose blobs are all plain files inside `root`: a blob
 * that is a device, a FIFO or a symlink out of `root` is refused (fs/regular-file.ts), and one whose size on
 * the descriptor differs from the descriptor's is refused before a byte is read.
 */
export async function openVerifiedFile(
  file: string,
  desc: Descriptor,
  where: string,
  root: string,
): Promise<Readable> {
  const what = `blob ${desc.digest} in ${where}`;
  let opened;
  try {
    opened = await openRegularFile(file, { what, within: root });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
    throw new KimgError(
      'BLOB_UNKNOWN',
      `blob ${desc.digest} is not in ${where}`,
      'the image is incomplete; copy it again',
    );
  }
  const { handle, size } = opened;
  if (size !== desc.size) {
    await handle.close();
    throw new KimgError(
      'SIZE_MISMATCH',
      `${what}: ${file} is ${size} bytes, but the descriptor says ${desc.size}`,
      'the layout is damaged; copy the image into it again',
    );
  }
  const source = handle.createReadStream({ highWaterMark: FILE_READ_CHUNK });
  const verifier = new VerifyingStream({ digest: desc.digest, size: desc.size, label: what });
  source.on('error', (err) => verifier.destroy(err));
  verifier.on('close', () => source.destroy());
  return source.pipe(verifier);
}

/**
 * A manifest blob of a layout read whole for a graph walk (commit, prune): a regular file inside `root`, at most
 * MAX_MANIFEST_BYTES, so a FIFO or /dev/zero planted in blobs/ fails the walk instead of hanging it.
 */
export function readManifestFile(file: string, digest: string, root: string, where: string): Promise<Buffer> {
  return readBoundedFile(file, {
    what: `manifest ${digest} in ${where}`,
    within: root,
    limit: MAX_MANIFEST_BYTES,
    limitHint: MANIFEST_LIMIT_HINT,
  });
}
