import { createHash } from 'node:crypto';
import { isDigest } from '../../digest';
import { KimgError } from '../../errors';
import { sniffCompression, SNIFF_BYTES } from '../../layer';
import type { ArchiveMembers } from '../archive/archive-members';
import { MediaType } from '../../manifest';

/** A layer (or other blob) member of a docker save archive, described as a blob. */
export interface MemberBlob {
  /** The member holding the bytes (symlinks resolved). */
  member: string;
  digest: string;
  size: number;
  mediaType: string;
}

/** Docker ≥ 25 stores content addressed: the name is the digest (trusted now, verified on every fetch). */
const BLOB_MEMBER = /^blobs\/(sha256|sha512)\/([a-f0-9]{64}|[a-f0-9]{128})$/;

/**
 * docker save does not record layer media types or compressed digests, so both come from the bytes: the media
 * type from the magic number (save writes uncompressed tars, but a hand-made or `docker save`-then-recompressed
 * archive may hold gzip or zstd). The digest: from the name when content-addressed (Docker ≥ 25); for a legacy
 * `<id>/layer.tar` that is an uncompressed tar, the config's diff ID for it — an uncompressed layer's digest IS
 * its diff ID, which is how containers/image reads these archives too — so opening the archive reads the first
 * bytes of the layer instead of hashing all of it. Either way the digest is a claim until the bytes are read: every fetch
 * goes through a VerifyingStream, and a layer whose bytes do not match fails there with DIGEST_MISMATCH naming
 * the member. Only a compressed legacy member, whose digest nothing records, is hashed here.
 */
export async function describeMember(
  tar: ArchiveMembers,
  path: string,
  diffId?: string,
): Promise<MemberBlob> {
  const entry = tar.get(path);
  if (!entry || entry.type !== 'file') {
    throw new KimgError(
      'BLOB_UNKNOWN',
      `${tar.file}: manifest.json names "${path}", which is not in the archive`,
      'the archive is incomplete; produce it again',
    );
  }
  const described = (digest: string, head: Uint8Array): MemberBlob => ({
    member: entry.name,
    digest,
    size: entry.size,
    mediaType: layerMediaType(head),
  });
  const named = BLOB_MEMBER.exec(entry.name);
  if (named) return described(`${named[1]}:${named[2]}`, await tar.readEntryHead(entry.name, SNIFF_BYTES));
  if (diffId !== undefined && isDigest(diffId)) {
    const head = await tar.readEntryHead(entry.name, SNIFF_BYTES);
    if (sniffCompression(head) === 'none') return described(diffId, head);
  }
  const hash = createHash('sha256');
  let head: Buffer = Buffer.alloc(0);
  for await (const chunk of tar.openEntry(entry.name)) {
    if (head.length < SNIFF_BYTES) head = Buffer.concat([head, chunk as Buffer]).subarray(0, SNIFF_BYTES);
    hash.update(chunk as Buffer);
  }
  return described(`sha256:${hash.digest('hex')}`, head);
}

function layerMediaType(head: Uint8Array): string {
  switch (sniffCompression(head)) {
    case 'gzip':
      return MediaType.OciLayerGzip;
    case 'zstd':
      return MediaType.OciLayerZstd;
    default:
      return MediaType.OciLayer;
  }
}
