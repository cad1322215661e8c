import type { Descriptor } from '../manifest/descriptor';
import type { ReadOnlyTarget, Target } from '../transport/types';
import { GraphCopier, type CopyGraphOptions, type CopyStats } from './copy-graph';

/** One image to move: found in the source by `ref` (or given as a descriptor), named `names` at the destination. */
export interface TransferItem {
  ref?: string;
  descriptor?: Descriptor;
  names: string[];
}

export interface TransferResult {
  images: { descriptor: Descriptor; names: string[] }[];
  stats: CopyStats;
}

/**
 * Moves images from one target to another as one unit: every graph is copied, every name tagged, then the
 * destination commits once. Any failure aborts the destination, which is then left exactly as it was
 * (DESIGN.md: "nothing is half-written"). load, save, pull, push and copy are all this call.
 */
export async function transfer(
  source: ReadOnlyTarget,
  destination: Target,
  items: TransferItem[],
  options: CopyGraphOptions = {},
): Promise<TransferResult> {
  const copier = new GraphCopier(source, destination, options);
  const images: TransferResult['images'] = [];
  try {
    for (const item of items) {
      const descriptor = item.descriptor ?? (await source.resolve(item.ref, { signal: options.signal }));
      await copier.copy(descriptor);
      if (item.names.length === 0) await destination.tag(descriptor, undefined, { signal: options.signal });
      for (const name of item.names) await destination.tag(descriptor, name, { signal: options.signal });
      images.push({ descriptor, names: item.names });
    }
    await destination.commit({ signal: options.signal });
  } catch (err) {
    await destination.abort();
    throw err;
  }
  return { images, stats: copier.stats };
}
