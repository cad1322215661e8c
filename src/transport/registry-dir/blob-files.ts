import { digestOf, parseDigest } from '../../digest';
import { KimgError } from '../../errors';
import { readBoundedFile } from '../../fs';
import { MAX_MANIFEST_BYTES, parseManifest, type Descriptor } from '../../manifest';
import { MANIFEST_LIMIT_HINT } from '../../store';

/**
 * Reads a manifest the registry links (a tag's current link, a revision) and describes it. The registry keeps no
 * media type beside the blob — it parses the payload (registry/storage/manifeststore.go Get) — so neither do we.
 * The bytes are checked against the digest: a link names content, and the file may have been damaged.
 */
export async function readManifestBlob(
  file: string,
  digest: string,
  where: string,
  dir: string,
): Promise<{ descriptor: Descriptor; bytes: Buffer }> {
  let bytes: Buffer;
  try {
    bytes = await readBoundedFile(file, {
      what: `manifest ${digest} in ${where}`,
      within: dir,
      limit: MAX_MANIFEST_BYTES,
      limitHint: MANIFEST_LIMIT_HINT,
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
    throw new KimgError(
      'BLOB_UNKNOWN',
      `manifest ${digest} is linked in ${where} but its blob is missing`,
      'the registry storage is incomplete; copy the image into it again',
    );
  }
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
