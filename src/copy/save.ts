import type { ArchiveDestinationOptions, ArchiveFormat, WrittenBundle } from '../transport/archive';
import { openArchiveDestination } from '../transport/archive';
import type { ReadOnlyTarget } from '../transport/types';
import type { CopyGraphOptions } from './copy-graph';
import { transfer, type TransferResult } from './transfer';

export interface SaveRequest {
  /** The store ref (normalized name, digest or ID) of each image to save. */
  ref: string;
  /** The name to record in the archive; none for images saved by digest. */
  name?: string;
}

export interface SaveResult extends TransferResult {
  /** The files written (the archive, or a split bundle's header and parts), with sizes and sha256. */
  written: WrittenBundle;
}

/**
 * `kimg save`: images of the store into one archive file — or a bundle for the gap: compressed as a whole
 * (`bundle.compression`) and/or split into numbered parts (`bundle.splitBytes`; transport/archive/bundle-output.ts).
 * The file (or every part) appears only when complete (written to temporary names and renamed at commit); a
 * failure leaves no file behind. With `openScratch` (the CLI passes the store's) the temp files are recorded so
 * an interrupted save leaves nothing `kimg prune` cannot remove.
 */
export async function saveArchive(
  store: ReadOnlyTarget,
  requests: SaveRequest[],
  file: string,
  format: ArchiveFormat,
  options: CopyGraphOptions & ArchiveDestinationOptions = {},
): Promise<SaveResult> {
  const { openScratch, bundle, ...copyOptions } = options;
  const destination = await openArchiveDestination(file, format, {
    ...(openScratch && { openScratch }),
    ...(bundle && { bundle }),
  });
  const result = await transfer(
    store,
    destination,
    requests.map((request) => ({
      ref: request.ref,
      names: request.name === undefined ? [] : [request.name],
    })),
    copyOptions,
  );
  return { ...result, written: destination.written as WrittenBundle };
}
