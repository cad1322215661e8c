import { promises as fs } from 'node:fs';
import type { Readable } from 'node:stream';
import { digestOf, parseDigest, VerifyingStream } from '../../digest';
import { KimgError } from '../../errors';
import { MAX_MANIFEST_BYTES, parseManifest, type Descriptor } from '../../manifest';

/**
 * The blob's bytes through a VerifyingStream (types.ts: every read is verified). The file is opened before
 * returning so a missing blob rejects here with BLOB_UNKNOWN, not later in the stream.
 */
export async function openBlob(file: string, desc: Descriptor, where: string): Promise<Readable> {
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
  const source = handle.createReadStream();
  const verifier = new VerifyingStream({
    digest: desc.digest,
    size: desc.size,
    label: `blob ${desc.digest} in ${where}`,
  });
  source.on('error', (err) => verifier.destroy(err));
  verifier.on('close', () => source.destroy());
  return source.pipe(verifier);
}

/**
 * Reads a manifest the registry links (a tag's current link, a revision) and describes it. The registry keeps no
 * media type beside the blob — it parses the payload (registry/storage/manifeststore.go Get) — so neither do we.
 * The bytes are checked against the digest: a link names content, and the file may have been damaged.
 */
export async function readManifestBlob(
  file: string,
  digest: string,
  where: string,
): Promise<{ descriptor: Descriptor; bytes: Buffer }> {
  const stat = await fs.stat(file).catch(() => undefined);
  if (!stat?.isFile()) {
    throw new KimgError(
      'BLOB_UNKNOWN',
      `manifest ${digest} is linked in ${where} but its blob is missing`,
      'the registry storage is incomplete; copy the image into it again',
    );
  }
  if (stat.size > MAX_MANIFEST_BYTES) {
    throw new KimgError(
      'SIZE_LIMIT',
      `manifest ${digest} in ${where} is ${stat.size} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`,
    );
  }
  const bytes = await fs.readFile(file);
  if (digestOf(bytes, parseDigest(digest).algorithm) !== digest) {
    throw new KimgError(
      'DIGEST_MISMATCH',
      `manifest ${digest} in ${where} does not match its digest`,
      'the registry storage is damaged; copy the image into it again',
    );
  }
  const parsed = parseManifest(bytes, undefined, `manifest ${digest} in ${where}`);
  return { descriptor: { mediaType: parsed.mediaType, digest, size: bytes.length }, bytes };
}
