import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract, type Header } from 'tar-stream';
import { isKimgError, KimgError } from '../errors';
import { decompressed } from './decompress';
import type { UnpackBudget } from './unpack-budget';

export interface TarEntry {
  header: Header;
  /** The member's content; whatever the consumer leaves unread is skipped. */
  content: Readable;
}

export interface TarReading {
  entries: AsyncGenerator<TarEntry>;
  /**
   * The error to report for `err`, thrown by the consumer's loop: a cap hit, or a damaged stream when the
   * consumer's error is not the file system's, is the cause (the consumer only saw its content stream end early);
   * else `err` itself.
   */
  explain(err: unknown): Promise<unknown>;
}

/**
 * The members of a tar (plain, gzip or zstd: decompress.ts) as tar-stream reads them, every decompressed byte
 * and every header counted against `budget`. The one tar reader of everything that unpacks or inspects layers.
 */
export async function readTar(
  input: Readable,
  budget: UnpackBudget,
  what: string,
  signal?: AbortSignal,
): Promise<TarReading> {
  const { stream } = await decompressed(input);
  const reader = extract();
  const feeding = pipeline([stream, budget.counter(what), reader as unknown as Writable], {
    ...(signal && { signal }),
  });
  const settled = feeding.then(
    () => undefined,
    (err: unknown) => err,
  );
  const explain = async (err: unknown): Promise<unknown> => {
    if (isKimgError(err) || (err as Error).name === 'AbortError') return err;
    const cause = await settled;
    const fileSystem = (err as { syscall?: string }).syscall !== undefined;
    return explained(cause !== undefined && (isKimgError(cause) || !fileSystem) ? cause : err, what);
  };
  async function* entries(): AsyncGenerator<TarEntry> {
    try {
      for await (const entry of reader) {
        budget.header(entry.header, what);
        const content = entry as unknown as Readable;
        yield { header: entry.header, content };
        content.resume();
      }
      await feeding;
    } catch (err) {
      throw await explain(err);
    }
  }
  return { entries: entries(), explain };
}

/** Errors of the tar reader and decompressors name the archive; file-system errors name the target. */
function explained(err: unknown, what: string): unknown {
  if (isKimgError(err) || (err as Error).name === 'AbortError') return err;
  const { message, syscall } = err as Error & { syscall?: string };
  if (syscall !== undefined)
    return new KimgError('IO_ERROR', `${what}: unpacking failed: ${message}`, undefined, { cause: err });
  return new KimgError(
    'ARCHIVE_INVALID',
    `${what}: not a readable tar (${message})`,
    'the archive or layer is damaged or not a tar; produce it again',
    { cause: err },
  );
}
