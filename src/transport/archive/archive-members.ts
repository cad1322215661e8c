import type { Readable } from 'node:stream';
import type { TarEntry } from '../../layer';

/**
 * The members of an archive as the archive sources read them: by name, links followed inside the archive.
 * `TarIndex` (layer/) serves them from a tar file at their offsets; `StreamedMembers` (streamed-archive.ts) from
 * what a bundle left behind as it streamed by (its JSON in memory, its blobs staged in the store).
 */
export interface ArchiveMembers {
  /** The archive as the user named it (for messages). */
  readonly file: string;
  get(name: string): Pick<TarEntry, 'name' | 'type' | 'size' | 'linkname'> | undefined;
  /** A regular file `name` is there (after links). */
  has(name: string): boolean;
  /** The content of a regular file member. */
  openEntry(name: string): Readable;
  /** A small member whole, refusing one over `limit` bytes. */
  readEntry(name: string, limit: number): Promise<Buffer>;
  /** The first `length` bytes of a member (fewer if it is shorter). */
  readEntryHead(name: string, length: number): Promise<Buffer>;
  close(): Promise<void>;
}
