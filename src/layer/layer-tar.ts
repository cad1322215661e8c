import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { KimgError } from '../errors';
import type { BlockBuffers } from './fixed-blocks';
import type { OrderedEntry } from './layer-entry';
import { END_OF_ARCHIVE, encodeMemberHeader, padding, type MemberHeader } from './tar-header-encode';

/** How members are normalised (the reproducibility rules of issue 5, item 5). */
export interface LayerTarOptions {
  /** mtime of every member in seconds: `SOURCE_DATE_EPOCH`, else 0. */
  timestamp?: number;
  /** Keep each entry's own `mtime` instead (`--preserve-mtime`). */
  preserveMtime?: boolean;
  /** Owner of every listed entry (`--chown`); implicit parent directories stay 0:0. Default 0:0. */
  owner?: { uid: number; gid: number };
}

export interface LayerTarBlockOptions extends LayerTarOptions {
  buffers: BlockBuffers;
}

/** A context file that is not one any more (a FIFO or a link swapped in) is refused, never waited on. */
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * The tar stream of a layer as whole blocks of `buffers.size` bytes (the last one shorter), ready for the
 * compressor: headers are encoded into the block, and a file with a `file` path is read with positional reads
 * straight into it — one copy from the page cache, no stream objects, no intermediate buffers. uname/gname are
 * always empty: a name would be looked up in the image's /etc/passwd by some extractors and not by others. A
 * file whose size differs from the one it was listed with fails the layer (its header already promised a size:
 * tar cannot take it back). A block is never touched after it is yielded (the consumer may transfer it).
 */
export async function* layerTarBlocks(
  entries: readonly OrderedEntry[],
  options: LayerTarBlockOptions,
): AsyncGenerator<Buffer> {
  const out = new BlockFill(options.buffers);
  const timestamp = options.timestamp ?? 0;
  for (const entry of entries) {
    const header: MemberHeader = {
      name: entry.path,
      type: entry.type,
      mode: entry.mode,
      uid: entry.implicit ? 0 : (entry.uid ?? options.owner?.uid ?? 0),
      gid: entry.implicit ? 0 : (entry.gid ?? options.owner?.gid ?? 0),
      size: 0,
      mtime: options.preserveMtime && entry.mtime !== undefined ? entry.mtime : timestamp,
    };
    if (entry.type === 'symlink') {
      yield* out.put(encodeMemberHeader({ ...header, linkname: entry.linkTarget ?? '' }));
    } else if (entry.hardlinkTo !== undefined) {
      yield* out.put(encodeMemberHeader({ ...header, type: 'hardlink', linkname: entry.hardlinkTo }));
    } else if (entry.type === 'directory') {
      yield* out.put(encodeMemberHeader(header));
    } else {
      const size = entry.size ?? 0;
      yield* out.put(encodeMemberHeader({ ...header, size }));
      if (size > 0) {
        if (entry.file !== undefined) yield* out.readFile(entry, entry.file, size);
        else yield* out.copyStream(entry, size);
      }
      yield* out.zeros(padding(size));
    }
  }
  yield* out.put(END_OF_ARCHIVE);
  yield* out.flush();
}

/** The block being filled. */
class BlockFill {
  private block: Buffer | undefined;
  private filled = 0;

  constructor(private readonly buffers: BlockBuffers) {}

  *put(bytes: Uint8Array): Generator<Buffer> {
    let offset = 0;
    while (offset < bytes.length) {
      const block = (this.block ??= this.buffers.take());
      const take = Math.min(block.length - this.filled, bytes.length - offset);
      block.set(bytes.subarray(offset, offset + take), this.filled);
      offset += take;
      yield* this.advance(take);
    }
  }

  *zeros(count: number): Generator<Buffer> {
    while (count > 0) {
      const block = (this.block ??= this.buffers.take());
      const take = Math.min(block.length - this.filled, count);
      block.fill(0, this.filled, this.filled + take);
      count -= take;
      yield* this.advance(take);
    }
  }

  async *readFile(entry: OrderedEntry, path: string, size: number): AsyncGenerator<Buffer> {
    const handle = await open(path, READ_FLAGS).catch((err: unknown) => {
      throw changed(entry, `cannot be opened (${(err as Error).message})`, err);
    });
    try {
      for (let position = 0; position < size;) {
        const block = (this.block ??= this.buffers.take());
        const want = Math.min(size - position, block.length - this.filled);
        const { bytesRead } = await handle.read(block, this.filled, want, position);
        if (bytesRead === 0) throw changed(entry, `listed with ${size} bytes, read ${position}`);
        position += bytesRead;
        yield* this.advance(bytesRead);
      }
      // One fstat instead of a read past the end: a file that grew meanwhile is caught too.
      const stats = await handle.stat();
      if (!stats.isFile() || stats.size !== size) {
        throw changed(entry, `listed with ${size} bytes, now ${stats.isFile() ? stats.size : 'not a file'}`);
      }
    } finally {
      await handle.close();
    }
  }

  async *copyStream(entry: OrderedEntry, size: number): AsyncGenerator<Buffer> {
    if (!entry.open) {
      throw new KimgError('INVALID_ARGUMENT', `layer entry "${entry.path}" has ${size} bytes but no content`);
    }
    let read = 0;
    for await (const chunk of entry.open()) {
      const bytes = chunk as Buffer;
      read += bytes.length;
      if (read > size) break;
      yield* this.put(bytes);
    }
    if (read !== size) throw changed(entry, `listed with ${size} bytes, read ${read > size ? 'more' : read}`);
  }

  *flush(): Generator<Buffer> {
    if (this.block && this.filled > 0) yield this.block.subarray(0, this.filled);
    this.block = undefined;
    this.filled = 0;
  }

  private *advance(count: number): Generator<Buffer> {
    this.filled += count;
    if (this.block && this.filled === this.block.length) {
      const full = this.block;
      this.block = undefined;
      this.filled = 0;
      yield full;
    }
  }
}

function changed(entry: OrderedEntry, what: string, cause?: unknown): KimgError {
  return new KimgError(
    'IO_ERROR',
    `${entry.path} changed while its layer was written: ${what}`,
    'files of the build context must not change during a build; run the build again',
    cause === undefined ? undefined : { cause },
  );
}
