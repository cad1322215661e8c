import { setMaxListeners } from 'node:events';
import { formatImageLocation, type ImageLocation } from '../reference';
import { locationRef, openDestination, openSource, type OpenContext } from '../transport/open';
import type { Descriptor } from '../manifest/descriptor';
import { canResolveReading } from '../transport/capabilities';
import type { ReadOnlyTarget } from '../transport/types';
import { RunBlobs } from './batch-blobs';
import { SourceResolvePolicy, type SourceResolve } from './batch-resolve';
import type { CopyStats } from './copy-graph';
import { transfer, type TransferItem, type TransferOptions } from './transfer';

/** Images copied at once by a batch run; each moves its blobs through the shared per-host limiters. */
export const DEFAULT_PARALLEL_IMAGES = 4;

/** One (source, destination) pair of a batch run. */
export interface BatchItem {
  /** How results and errors name the image (e.g. the source reference). */
  id: string;
  from: ImageLocation;
  to: ImageLocation;
  /** Names at the destination; default: the name `to` carries. */
  names?: string[];
  /** What differs per image (a sync file sets platforms, referrers and digest tags per registry). */
  options?: Pick<TransferOptions, 'platforms' | 'referrers' | 'digestTags'>;
}

export type BatchStatus = 'copied' | 'skipped' | 'failed';

export interface BatchImageResult {
  item: BatchItem;
  /** `skipped`: the destination had it already (no blob or manifest moved); `failed`: see `error`. */
  status: BatchStatus;
  source?: Descriptor;
  descriptor?: Descriptor;
  stats: CopyStats;
  notes: string[];
  error?: unknown;
  seconds: number;
}

export interface BatchOptions extends Omit<
  TransferOptions,
  'limiter' | 'runBlobs' | 'platforms' | 'referrers' | 'digestTags'
> {
  open: OpenContext;
  /** Images at once (default `DEFAULT_PARALLEL_IMAGES`). */
  parallel?: number;
  /** Leaf transfers per source host (default: `concurrency`, else `DEFAULT_COPY_CONCURRENCY`). */
  concurrencyOf?: (host: string) => number | undefined;
  /** Go on after a failed image (skopeo sync's `--keep-going`); default: stop starting new ones. */
  keepGoing?: boolean;
  /** Called as each image finishes, in completion order. */
  onImage?: (result: BatchImageResult) => void;
}

export interface BatchResult {
  /** One per image attempted, in the order of `items` (not attempted after a failure without keepGoing: absent). */
  images: BatchImageResult[];
  stats: CopyStats;
}

/**
 * The copy engine for many images (issue 12 groundwork): every pair is its own transaction (`transfer`: one
 * image's failure aborts only that image, and what finished is committed as it finishes, so a killed run keeps
 * it), while the run shares what makes many images cheap: the registry client (tokens, pools, per-host lanes,
 * from `open`), one leaf-transfer limiter per source host, one upload per digest per destination registry
 * (`RunBlobs`), and the blob-location cache, held so it is rewritten once at the end, not once per image. While
 * images are being copied, the next one's source is resolved with its manifest (`SourceResolvePolicy`).
 */
export async function copyBatch(items: readonly BatchItem[], options: BatchOptions): Promise<BatchResult> {
  const {
    open,
    parallel = DEFAULT_PARALLEL_IMAGES,
    keepGoing = false,
    onImage,
    ...transferOptions
  } = options;
  const runBlobs = new RunBlobs((host) => options.concurrencyOf?.(host) ?? options.concurrency);
  const resolvePolicy = new SourceResolvePolicy();
  const release = await holdBlobLocations(open);
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  // Every request of every image listens to it: hundreds at once is the design, not a leak.
  setMaxListeners(0, signal);
  const results: (BatchImageResult | undefined)[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length && !signal.aborted) {
      const at = next++;
      const item = items[at] as BatchItem;
      // Read in the same tick as the finish just recorded (SourceResolvePolicy: the bound on wasted GETs).
      const resolveBy = resolvePolicy.next(item.to);
      const result = await copyOne(item, open, runBlobs, resolveBy, { ...transferOptions, signal });
      resolvePolicy.finished(item.to, result.status);
      results[at] = result;
      onImage?.(result);
      if (result.status === 'failed' && !keepGoing) stop.abort(result.error);
    }
  };
  try {
    const workers = Math.max(1, Math.min(parallel, items.length));
    await Promise.all(Array.from({ length: workers }, worker));
  } finally {
    await release();
  }
  const images = results.filter((result): result is BatchImageResult => result !== undefined);
  return { images, stats: sumStats(images.map((image) => image.stats)) };
}

async function copyOne(
  item: BatchItem,
  open: OpenContext,
  runBlobs: RunBlobs,
  resolveBy: SourceResolve,
  options: TransferOptions,
): Promise<BatchImageResult> {
  const started = Date.now();
  const stats: CopyStats = { blobsCopied: 0, blobsSkipped: 0, blobsMounted: 0, bytesCopied: 0 };
  const failed = (error: unknown): BatchImageResult => ({
    item,
    status: 'failed',
    stats,
    notes: [],
    error,
    seconds: (Date.now() - started) / 1000,
  });
  try {
    const source = await openSource(item.from, open);
    try {
      const destination = await openDestination(item.to, open);
      try {
        const names = item.names ?? [locationRef(item.to)].filter((name) => name !== undefined);
        const limiter = runBlobs.limiter(hostOf(item.from));
        const root = await sourceRoot(source, locationRef(item.from), resolveBy, options.signal);
        const result = await transfer(source, destination, [{ ...root, names }], {
          ...options,
          ...item.options,
          limiter,
          runBlobs,
        });
        const image = result.images[0];
        const moved = result.stats.blobsCopied + result.stats.blobsMounted;
        return {
          item,
          status: moved === 0 ? 'skipped' : 'copied',
          ...(image && { source: image.source, descriptor: image.descriptor }),
          stats: result.stats,
          notes: image?.notes ?? [],
          seconds: (Date.now() - started) / 1000,
        };
      } finally {
        await destination.close();
      }
    } finally {
      await source.close();
    }
  } catch (err) {
    return failed(err);
  }
}

/**
 * What `transfer` resolves the image from: its ref (the source's own resolve, a HEAD for a registry), or, with
 * `get` and a source that can (a registry), the descriptor of a GET whose manifest the copy then reads from memory.
 */
async function sourceRoot(
  source: ReadOnlyTarget,
  ref: string | undefined,
  resolveBy: SourceResolve,
  signal: AbortSignal | undefined,
): Promise<Omit<TransferItem, 'names'>> {
  if (ref === undefined) return {};
  if (resolveBy === 'get' && canResolveReading(source))
    return { descriptor: await source.resolveReading(ref, { signal }) };
  return { ref };
}

/** The host a source's transfers are limited by: its registry, or the place itself for local transports. */
function hostOf(location: ImageLocation): string {
  return location.transport === 'docker' ? location.reference.domain : formatImageLocation(location);
}

async function holdBlobLocations(open: OpenContext): Promise<() => Promise<void>> {
  if (open.blobLocations === undefined) return async () => undefined;
  const { BlobLocations } = await import('../transport/registry/blob-locations');
  return (await BlobLocations.open(open.blobLocations)).hold();
}

function sumStats(all: CopyStats[]): CopyStats {
  const total: CopyStats = { blobsCopied: 0, blobsSkipped: 0, blobsMounted: 0, bytesCopied: 0 };
  for (const stats of all) {
    total.blobsCopied += stats.blobsCopied;
    total.blobsSkipped += stats.blobsSkipped;
    total.blobsMounted += stats.blobsMounted;
    total.bytesCopied += stats.bytesCopied;
  }
  return total;
}
