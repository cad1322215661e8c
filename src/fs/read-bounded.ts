import { KimgError } from '../errors';
import { openRegularFile, type OpenRegularOptions } from './regular-file';

export interface ReadBoundedOptions extends OpenRegularOptions {
  /** Largest size accepted, checked against the opened descriptor before anything is read. */
  limit: number;
  /** How to raise the limit (an env variable or flag), or why it is fixed: the hint of the SIZE_LIMIT error. */
  limitHint: string;
}

/**
 * Reads a small file whole (JSON, a registry link) as openRegularFile opens it, refusing one over `limit` bytes
 * before reading. At most the fstat size is read, so a file that grows meanwhile cannot make us read more.
 */
export async function readBoundedFile(path: string, options: ReadBoundedOptions): Promise<Buffer> {
  const { handle, size } = await openRegularFile(path, options);
  try {
    if (size > options.limit) {
      throw new KimgError(
        'SIZE_LIMIT',
        `${options.what}: ${path} is ${size} bytes, over the ${options.limit}-byte limit`,
        options.limitHint,
      );
    }
    const data = Buffer.alloc(size);
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await handle.read(data, filled, size - filled, filled);
      if (bytesRead === 0) break; // the file shrank: what is there is what it holds
      filled += bytesRead;
    }
    return data.subarray(0, filled);
  } finally {
    await handle.close();
  }
}
