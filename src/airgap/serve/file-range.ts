import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { FILE_READ_CHUNK } from '../../digest';
import type { StorageFile } from './storage';

/**
 * A `StorageFile` that is a byte range of an open file: the whole file for a directory storage, a tar member's
 * content for a layer. Streams read with positional reads on the one descriptor (`autoClose: false`), so the
 * request that opened it closes it exactly once, whether the response ended or the client went away.
 */
export class FileRange implements StorageFile {
  private closed = false;

  constructor(
    private readonly handle: FileHandle,
    private readonly offset: number,
    readonly size: number,
    /** False when the descriptor is shared (a layer held open for the server's life): close() leaves it open. */
    private readonly ownsHandle = true,
  ) {}

  stream(start: number, end: number): Readable {
    const last = Math.min(end, this.size - 1);
    // fs.createReadStream refuses end < start: an empty range is an empty stream.
    if (last < start) return Readable.from([]);
    return this.handle.createReadStream({
      start: this.offset + start,
      end: this.offset + last,
      autoClose: false,
      highWaterMark: FILE_READ_CHUNK,
    });
  }

  async readAll(limit: number): Promise<Buffer | undefined> {
    if (this.size > limit) return undefined;
    const data = Buffer.alloc(this.size);
    let done = 0;
    while (done < this.size) {
      const { bytesRead } = await this.handle.read(data, done, this.size - done, this.offset + done);
      // The file shrank under us (a directory storage being rewritten): what we have is not the file.
      if (bytesRead === 0) return undefined;
      done += bytesRead;
    }
    return data;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsHandle) await this.handle.close();
  }
}
