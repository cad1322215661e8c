import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';

/** The file system block size holes are made of (ext4, xfs, btrfs: 4 KiB). */
const HOLE_BLOCK = 4096;
const ZEROS = Buffer.alloc(HOLE_BLOCK);

/**
 * Writes a member's bytes into `file`, leaving every aligned 4 KiB block of zeros as a hole, and sets the size at
 * the end (ftruncate), so a disk image or a preallocated database file in a rootfs takes on the host only the
 * blocks that hold data — as GNU tar's `--sparse` extraction and containerd's fs.CopyFile do. Layers rarely carry
 * GNU sparse members (tar-stream cannot read them, moby never writes them: sparse files become runs of zeros in
 * the layer), so the zeros themselves are what tells. Positional writes; the bytes read are the bytes counted.
 * Returns the size written.
 */
export async function writeSparse(
  content: AsyncIterable<Buffer> | Readable,
  file: FileHandle,
): Promise<number> {
  let offset = 0;
  for await (const chunk of content as AsyncIterable<Buffer>) {
    let start = 0;
    while (start < chunk.length) {
      // Up to the next block boundary of the file (not of the chunk): holes are whole, aligned blocks.
      const end = Math.min(chunk.length, start + HOLE_BLOCK - ((offset + start) % HOLE_BLOCK));
      const block = chunk.subarray(start, end);
      const zero = block.length === HOLE_BLOCK && block.equals(ZEROS);
      if (!zero) {
        // Extend the run of data blocks as far as it goes, then write it in one call.
        let runEnd = end;
        while (runEnd < chunk.length) {
          const next = chunk.subarray(runEnd, Math.min(chunk.length, runEnd + HOLE_BLOCK));
          if (next.length === HOLE_BLOCK && next.equals(ZEROS)) break;
          runEnd += next.length;
        }
        await writeAll(file, chunk.subarray(start, runEnd), offset + start);
        start = runEnd;
      } else {
        start = end;
      }
    }
    offset += chunk.length;
  }
  // A file ending in a hole: the size is set, the blocks stay unallocated.
  await file.truncate(offset);
  return offset;
}

async function writeAll(file: FileHandle, bytes: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await file.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}
