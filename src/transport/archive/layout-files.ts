import { KimgError } from '../../errors';
import { memo, zod } from '../../lazy/lazy';
import { parseDigest } from '../../digest';
import {
  imageIndexSchema,
  MAX_METADATA_BYTES,
  MediaType,
  parseBoundedJson,
  type Descriptor,
  type ImageIndex,
} from '../../manifest';
import type { ArchiveMembers } from './archive-members';

/** image-spec image-layout.md: the `oci-layout` marker file; version 1.0.0 is the only one defined. */
export const OCI_LAYOUT_FILE = 'oci-layout';
export const OCI_INDEX_FILE = 'index.json';
export const OCI_LAYOUT_BYTES = Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' }));

const ociLayoutSchema = memo(() => zod().looseObject({ imageLayoutVersion: zod().string() }));

/** image-layout.md "Blobs": `blobs/<alg>/<encoded>`. */
export function blobPath(digest: string): string {
  const { algorithm, encoded } = parseDigest(digest);
  return `blobs/${algorithm}/${encoded}`;
}

/** A JSON member of an archive (oci-layout, index.json, manifest.json), with the size and depth bounds. */
export function parseJsonFile(bytes: Buffer, what: string): unknown {
  return parseBoundedJson(bytes, {
    what,
    maxBytes: MAX_METADATA_BYTES,
    invalid: (message, cause) =>
      new KimgError('ARCHIVE_INVALID', message, 'the archive is corrupt; produce it again', { cause }),
  });
}

/** Reads and validates `oci-layout` and `index.json` of an OCI layout stored in a tar. */
export async function readLayoutIndex(tar: ArchiveMembers): Promise<ImageIndex> {
  if (!tar.has(OCI_LAYOUT_FILE)) {
    throw new KimgError(
      'ARCHIVE_INVALID',
      `${tar.file} has no oci-layout file, so it is not an OCI layout`,
      'for docker save output use docker-archive:',
    );
  }
  const layout = ociLayoutSchema().safeParse(
    parseJsonFile(await tar.readEntry(OCI_LAYOUT_FILE, MAX_METADATA_BYTES), `${tar.file}: oci-layout`),
  );
  if (!layout.success || !layout.data.imageLayoutVersion.startsWith('1.')) {
    throw new KimgError(
      'ARCHIVE_INVALID',
      `${tar.file}: oci-layout does not declare imageLayoutVersion 1.x`,
      'the archive is not an OCI image layout kimg can read',
    );
  }
  if (!tar.has(OCI_INDEX_FILE))
    throw new KimgError(
      'ARCHIVE_INVALID',
      `${tar.file} has no index.json`,
      'the archive is incomplete; produce it again',
    );
  const index = imageIndexSchema.safeParse(
    parseJsonFile(await tar.readEntry(OCI_INDEX_FILE, MAX_METADATA_BYTES), `${tar.file}: index.json`),
  );
  if (!index.success) {
    const issue = index.error.issues[0];
    throw new KimgError(
      'ARCHIVE_INVALID',
      `${tar.file}: index.json is not a valid image index (${issue ? `${issue.path.join('.')}: ${issue.message}` : 'unknown'})`,
      'the archive is corrupt; produce it again',
    );
  }
  return index.data;
}

/** index.json as written at commit: the entries in tag order, the OCI index media type set as image-spec asks. */
export function encodeLayoutIndex(manifests: Descriptor[]): Buffer {
  return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests }));
}
