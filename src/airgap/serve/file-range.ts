import { once } from 'node:events';
import type { FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import type { StorageFile } from './storage';

/**
 * A `StorageFile` that is a byte range of an open file: the whole file for a directory storage, a tar member's
 * content for a layer. Reads are positional on the one descriptor (a FileHandle: its close waits for reads in
 * flight), so the request that opened it closes it exactly once, whether the response ended or the client went
 * away. Not fs.createReadStream: given a FileHandle it adds a 'close' listener to the handle that it never
 * removes, one per request on a layer handle shared for the server's life.
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

  /**
   * Writes bytes `start`–`end` (inclusive) to `out` without allocating per chunk: two buffers alternate, one being
   * read from disk while the other is on its way to the socket, and a buffer is refilled only after the write that
   * took it has completed (its callback; the socket no longer references it). Garbage-free copying is what keeps a
   * node server's CPU near a Go server's sendfile here. Rejects when `out` closes first (a client gone away).
   */
  async writeTo(out: Writable, start: number, end: number, onChunk?: (bytes: number) => void): Promise<void> {
    let position = this.offset + start;
    const stop = this.offset + Math.min(end, this.size - 1) + 1;
    const chunk = Math.min(COPY_CHUNK, Math.max(stop - position, 1));
    const buffers = [Buffer.allocUnsafe(chunk), Buffer.allocUnsafe(chunk)] as const;
    const written: [Promise<void>, Promise<void>] = [Promise.resolve(), Promise.resolve()];
    let closed = false;
    const whenClosed = new Promise<void>((resolve) =>
      out.once('close', () => {
        closed = true;
        resolve();
      }),
    );
    const gone = () => new Error('the client closed the connection before the content was sent');
    for (let i = 0; position < stop; i ^= 1) {
      await Promise.race([written[i], whenClosed]);
      if (closed || out.destroyed) throw gone();
      const buffer = buffers[i] as Buffer;
      const { bytesRead } = await this.handle.read(buffer, 0, Math.min(chunk, stop - position), position);
      if (bytesRead === 0) throw new Error('the file ended before its recorded size');
      if (closed || out.destroyed) throw gone();
      position += bytesRead;
      const writing = new Promise<void>((resolve, reject) =>
        out.write(buffer.subarray(0, bytesRead), (err) => (err ? reject(err) : resolve())),
      );
      writing.catch(() => undefined);
      written[i] = writing;
      onChunk?.(bytesRead);
      if (out.writableNeedDrain) await Promise.race([once(out, 'drain'), whenClosed]);
    }
    await Promise.race([Promise.all(written), whenClosed]);
    if (closed) throw gone();
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

/** Each of `writeTo`'s two buffers: 1 MiB, so a blob transfer holds 2 MiB whatever the blob's size. */
const COPY_CHUNK = 1024 * 1024;
