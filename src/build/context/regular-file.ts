import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

export type RegularFileRead =
  { kind: 'text'; text: string } | { kind: 'too-large'; size: number } | { kind: 'not-regular' };

/**
 * A build input (Kubefile, ignore file) read only when it is what it claims to be: a regular file no larger
 * than `maxBytes`, checked on the open descriptor before anything is read. O_NONBLOCK keeps the open itself
 * from waiting for a FIFO's writer; /dev/zero or a FIFO is 'not-regular' and never read. At most one byte past
 * the limit is read, so a file that grows after the stat is caught too. Errors of the open (ENOENT…) are thrown.
 */
export async function readRegularFile(path: string, maxBytes: number): Promise<RegularFileRead> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return { kind: 'not-regular' };
    if (stats.size > maxBytes) return { kind: 'too-large', size: stats.size };
    const buffer = Buffer.alloc(stats.size + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) return { kind: 'too-large', size: length };
      if (length === buffer.length) break;
    }
    return { kind: 'text', text: buffer.toString('utf8', 0, length) };
  } finally {
    await handle.close();
  }
}
