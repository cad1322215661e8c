import type { ArchiveDestinationOptions, ArchiveFormat } from '../transport/archive';
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

/**
 * `kimg save`: images of the store into one archive file. The file appears only when complete (written to a
 * temporary name and renamed at commit); a failure leaves no file behind. With `openScratch` (the CLI passes the
 * store's) the temp file is recorded so an interrupted save leaves nothing `kimg prune` cannot remove.
 */
export async function saveArchive(
  store: ReadOnlyTarget,
  requests: SaveRequest[],
  file: string,
  format: ArchiveFormat,
  options: CopyGraphOptions & ArchiveDestinationOptions = {},
): Promise<TransferResult> {
  const { openScratch, ...copyOptions } = options;
  const destination = await openArchiveDestination(file, format, openScratch ? { openScratch } : {});
  return transfer(
    store,
    destination,
    requests.map((request) => ({
      ref: request.ref,
      names: request.name === undefined ? [] : [request.name],
    })),
    copyOptions,
  );
}
