import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseDigest, VerifyingStream } from '../../digest';
import { KimgError } from '../../errors';
import {
  checkMemberSize,
  followLinks,
  normalizeEntryName,
  requireFileMember,
  type TarEntry,
} from '../../layer';
import { MAX_METADATA_BYTES, type Descriptor } from '../../manifest';
import { readTar, UnpackBudget } from '../../unpack';
import type { ArchiveMembers } from './archive-members';

/** A member's record: no offsets, the tar is gone once it streamed by. */
type StreamedEntry = Pick<TarEntry, 'name' | 'type' | 'size' | 'linkname'>;

/** Non-blob files kept in memory together (index.json, manifest.json, repositories, oci-layout: kilobytes). */
const MAX_KEPT_BYTES = 4 * MAX_METADATA_BYTES;

/**
 * Thrown when a member is neither a `blobs/<alg>/<hex>` blob nor small metadata (a legacy `docker save`'s
 * `<id>/layer.tar`, whose digest is not its name): such an archive needs random access, and the caller falls
 * back to reading it from a plain tar file.
 */
export class NeedsRandomAccess extends Error {
  constructor(readonly member: string) {
    super(`${member} is neither a blob nor metadata`);
  }
}

export interface StreamedArchiveOptions {
  /**
   * A `blobs/<alg>/<hex>` member: `content` verifies itself against `desc` (its name is its digest) and fails
   * the read with DIGEST_MISMATCH / SIZE_MISMATCH; the handler must read it to the end (store it, or drain it).
   */
  onBlob(desc: Descriptor, content: Readable, member: string): Promise<void>;
  /** Reads back a blob `onBlob` took (from wherever it put it), for the archive sources that need it later. */
  openBlob(desc: Descriptor): Promise<Readable>;
  signal?: AbortSignal;
}

/**
 * Reads a (decompressed) image archive in one sequential pass, as a compressed or split bundle must be read: no
 * offsets, no second pass, no temp copy. Blobs go to `onBlob` as they stream by, verified; metadata is kept in
 * memory; what is left is a members view (`ArchiveMembers`) the archive sources read as they read a TarIndex.
 * Headers are counted by the one tar reader of unpack/ (readTar) against the usual entry and name caps.
 */
export async function readStreamedArchive(
  tar: Readable,
  label: string,
  options: StreamedArchiveOptions,
): Promise<StreamedMembers> {
  // The decompressed size is bounded by the caller (the inflate ratio); entries and names by the unpack caps.
  const budget = new UnpackBudget({
    maxBytes: Number.MAX_SAFE_INTEGER,
    maxEntryBytes: Number.MAX_SAFE_INTEGER,
  });
  const reading = await readTar(tar, budget, label, options.signal);
  const members = new Map<string, StreamedEntry>();
  const kept = new Map<string, Buffer>();
  const blobs = new Map<string, Descriptor>();
  let keptBytes = 0;
  try {
    for await (const { header, content } of reading.entries) {
      const { name, safe } = normalizeEntryName(header.name);
      if (!safe) {
        throw new KimgError(
          'ARCHIVE_INVALID',
          `${label}: member "${header.name}" leaves the archive`,
          'the archive is corrupt or hostile; produce it again',
        );
      }
      const size = header.size ?? 0;
      if (header.type === 'file' || header.type === 'contiguous-file') {
        const desc = blobDescriptor(name, size);
        if (desc) {
          const verifying = new VerifyingStream({
            digest: desc.digest,
            size: desc.size,
            label: `${name} (${desc.digest}) in ${label}`,
          });
          pipeline(content, verifying).catch((err: Error) => verifying.destroy(err));
          await options.onBlob(desc, verifying, name);
          blobs.set(name, desc);
        } else if (size <= MAX_METADATA_BYTES && keptBytes + size <= MAX_KEPT_BYTES) {
          const bytes = await readAll(content);
          keptBytes += bytes.length;
          kept.set(name, bytes);
        } else {
          throw new NeedsRandomAccess(name);
        }
        members.set(name, { name, type: 'file', size });
      } else if (header.type === 'directory') {
        members.set(name, { name, type: 'directory', size: 0 });
      } else if (header.type === 'symlink' || header.type === 'link') {
        members.set(name, { name, type: header.type, size: 0, linkname: header.linkname ?? '' });
      } else {
        members.set(name, { name, type: 'other', size: 0 });
      }
    }
  } catch (err) {
    if (err instanceof NeedsRandomAccess) throw err;
    throw await reading.explain(err);
  }
  return new StreamedMembers(label, members, kept, blobs, options.openBlob);
}

/** `blobs/sha256/<hex>` (image-layout.md "Blobs") as a descriptor, or undefined for any other name. */
function blobDescriptor(name: string, size: number): Descriptor | undefined {
  const match = /^blobs\/([a-z0-9]+(?:[+._-][a-z0-9]+)*)\/([a-zA-Z0-9=_-]+)$/.exec(name);
  if (!match) return undefined;
  const digest = `${match[1]}:${match[2]}`;
  try {
    parseDigest(digest);
  } catch {
    return undefined;
  }
  return { mediaType: 'application/octet-stream', digest, size };
}

async function readAll(content: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of content) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** What a streamed archive left: members by name, metadata from memory, blobs read back through `openBlob`. */
export class StreamedMembers implements ArchiveMembers {
  constructor(
    readonly file: string,
    private readonly members: ReadonlyMap<string, StreamedEntry>,
    private readonly kept: ReadonlyMap<string, Buffer>,
    private readonly blobs: ReadonlyMap<string, Descriptor>,
    private readonly openBlob: (desc: Descriptor) => Promise<Readable>,
  ) {}

  /** The blobs that streamed by, by digest (what a load staged). */
  get blobDescriptors(): Descriptor[] {
    return [...this.blobs.values()];
  }

  get(name: string): StreamedEntry | undefined {
    return followLinks(this.members, name);
  }

  has(name: string): boolean {
    return this.get(name)?.type === 'file';
  }

  openEntry(name: string): Readable {
    const entry = this.requireFile(name);
    const bytes = this.kept.get(entry.name);
    if (bytes) return Readable.from([bytes]);
    const desc = this.blobs.get(entry.name) as Descriptor;
    const out = new PassThrough();
    this.openBlob(desc).then(
      (blob) => pipeline(blob, out).catch((err: Error) => out.destroy(err)),
      (err: Error) => out.destroy(err),
    );
    return out;
  }

  async readEntry(name: string, limit: number): Promise<Buffer> {
    checkMemberSize(this.file, name, this.requireFile(name).size, limit);
    return readAll(this.openEntry(name));
  }

  async readEntryHead(name: string, length: number): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let have = 0;
    const stream = this.openEntry(name);
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      have += (chunk as Buffer).length;
      if (have >= length) break; // leaving the loop destroys the stream
    }
    return Buffer.concat(chunks).subarray(0, length);
  }

  async close(): Promise<void> {}

  private requireFile(name: string): StreamedEntry {
    return requireFileMember(this.file, name, this.get(name));
  }
}
