import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { FILE_READ_CHUNK } from '../digest';
import { KimgError } from '../errors';
import { openRegularFile } from '../fs';
import { sniffCompression, SNIFF_BYTES } from './compression';
import { decompressToTemp, type InflateOptions } from './decompress-archive';
import { resolveLinkTarget } from './entry-name';
import { NotATarError, scanTar, type TarEntry } from './tar-scan';

/** Where and within which bounds a gzip-compressed archive is inflated (decompress-archive.ts). */
export type TarIndexOptions = InflateOptions;

/** Symlink chains longer than this are loops or attacks (Linux stops at 40, MAXSYMLINKS). */
const MAX_LINK_HOPS = 40;

/**
 * Random access to the members of a tar file without extracting it: the headers are scanned once with
 * positional reads (content is skipped, never read), and each member is then served by
 * fs.createReadStream(file, {start, end}). tar-stream cannot do this — its extract stream reports no offsets
 * and its header decoder is not exported — hence our own header scanner (tar-header.ts, tar-scan.ts).
 */
export class TarIndex {
  private constructor(
    /** The archive as the user named it (for messages). */
    readonly file: string,
    /** The plain tar actually read: `file` itself, or its decompressed temp copy. */
    readonly dataFile: string,
    readonly compression: 'gzip' | 'zstd' | 'none',
    private readonly members: Map<string, TarEntry>,
    private readonly cleanup: (() => Promise<void>) | undefined,
  ) {}

  static async open(file: string, options: TarIndexOptions = {}): Promise<TarIndex> {
    const compression = await sniffFileCompression(file);
    const temp = compression === 'none' ? undefined : await decompressToTemp(file, options, compression);
    const dataFile = temp?.path ?? file;
    try {
      const { handle, size } = await openRegularFile(dataFile, { what: 'archive' });
      try {
        const members = await scanTar(handle, size, file);
        return new TarIndex(file, dataFile, compression, members, temp?.remove);
      } finally {
        await handle.close();
      }
    } catch (err) {
      await temp?.remove();
      if (err instanceof NotATarError) {
        throw new KimgError(
          'ARCHIVE_FORMAT_UNKNOWN',
          `${file} is not an oci-archive or docker-archive`,
          'expected a tar file (optionally gzip- or zstd-compressed), as written by `skopeo copy`, `docker save` or `kimg save`',
        );
      }
      throw err;
    }
  }

  /** Every member, in archive order (links unresolved). */
  entries(): TarEntry[] {
    return [...this.members.values()];
  }

  /** The member `name`, following symlinks and hard links inside the archive; undefined when absent. */
  get(name: string): TarEntry | undefined {
    return followLinks(this.members, name);
  }

  has(name: string): boolean {
    return this.get(name)?.type === 'file';
  }

  /** The content of a regular file member. */
  openEntry(name: string): Readable {
    const entry = this.requireFile(name);
    if (entry.size === 0) return Readable.from([]);
    return createReadStream(this.dataFile, {
      start: entry.offset,
      end: entry.offset + entry.size - 1,
      highWaterMark: FILE_READ_CHUNK,
    });
  }

  /** Reads a small member whole (JSON metadata), refusing anything over `limit` bytes. */
  async readEntry(name: string, limit: number): Promise<Buffer> {
    const entry = this.requireFile(name);
    checkMemberSize(this.file, name, entry.size, limit);
    const handle = await open(this.dataFile, 'r');
    try {
      const data = Buffer.alloc(entry.size);
      const { bytesRead } = await handle.read(data, 0, entry.size, entry.offset);
      if (bytesRead !== entry.size)
        throw new KimgError(
          'ARCHIVE_INVALID',
          `${this.file}: "${name}" is truncated`,
          'produce the archive again',
        );
      return data;
    } finally {
      await handle.close();
    }
  }

  /** The first `length` bytes of a member (fewer if it is shorter), for sniffing its compression. */
  async readEntryHead(name: string, length: number): Promise<Buffer> {
    const entry = this.requireFile(name);
    const head = Buffer.alloc(Math.min(length, entry.size));
    const handle = await open(this.dataFile, 'r');
    try {
      await handle.read(head, 0, head.length, entry.offset);
      return head;
    } finally {
      await handle.close();
    }
  }

  /** Deletes the decompressed temp copy, if any. Streams already open keep working (the inode lives on). */
  async close(): Promise<void> {
    await this.cleanup?.();
  }

  private requireFile(name: string): TarEntry {
    return requireFileMember(this.file, name, this.get(name));
  }
}

/** The regular file member `entry` (looked up as `name` in `file`), or BLOB_UNKNOWN when it is absent or not a file. */
export function requireFileMember<E extends Pick<TarEntry, 'type'>>(
  file: string,
  name: string,
  entry: E | undefined,
): E {
  if (entry && entry.type === 'file') return entry;
  throw new KimgError(
    'BLOB_UNKNOWN',
    `${file} has no file "${name}"`,
    'the archive is incomplete; produce it again',
  );
}

/** A member read whole into memory must stay under `limit` bytes (metadata, configs, manifests). */
export function checkMemberSize(file: string, name: string, size: number, limit: number): void {
  if (size <= limit) return;
  throw new KimgError(
    'SIZE_LIMIT',
    `${file}: "${name}" is ${size} bytes, over the ${limit}-byte limit`,
    'this archive was not written by a tool kimg knows',
  );
}

/**
 * The member `name` of an archive's members, following symlinks and hard links inside the archive (never out);
 * undefined when absent, dangling or a loop. Shared with readers that index a tar as it streams by.
 */
export function followLinks<E extends Pick<TarEntry, 'name' | 'type' | 'linkname'>>(
  members: ReadonlyMap<string, E>,
  name: string,
): E | undefined {
  let entry = members.get(name);
  for (let hops = 0; entry && (entry.type === 'symlink' || entry.type === 'link'); hops++) {
    if (hops >= MAX_LINK_HOPS) return undefined;
    // Hard link targets are archive-root relative (POSIX); symlinks are relative to their own directory.
    const target =
      entry.type === 'link' ? (entry.linkname ?? '') : resolveLinkTarget(entry.name, entry.linkname ?? '');
    entry = target === undefined ? undefined : members.get(target.replace(/^(\.\/)+/, ''));
  }
  return entry;
}

/**
 * The compression of a file, sniffed from its first bytes (the archive sources, and `kimg registry serve --image`
 * for the store's layer blobs). The file must be a regular file (fs/): a FIFO such as `<(docker save …)` would
 * block the open and cannot be read at offsets, a device never ends.
 */
export async function sniffFileCompression(file: string): Promise<ReturnType<typeof sniffCompression>> {
  return sniffCompression(await readHead(file));
}

async function readHead(file: string): Promise<Buffer> {
  let handle;
  try {
    ({ handle } = await openRegularFile(file, { what: 'archive' }));
  } catch (err) {
    if (err instanceof KimgError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new KimgError(
      'IO_ERROR',
      `cannot open ${file}: ${code ?? (err as Error).message}`,
      code === 'ENOENT' ? 'check the path' : undefined,
      { cause: err },
    );
  }
  try {
    const head = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
