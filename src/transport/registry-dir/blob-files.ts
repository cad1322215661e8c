import { promises as fs } from 'node:fs';
import { digestOf, parseDigest } from '../../digest';
import { KimgError } from '../../errors';
import { MAX_MANIFEST_BYTES, parseManifest, type Descriptor } from '../../manifest';

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
