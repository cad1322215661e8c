import { copyBatch, type BatchImageResult } from '../copy/batch';
import { isKimgError } from '../errors';
import { formatImageLocation } from '../reference';
import type { RegistryClient } from '../registry';
import type { OpenContext } from '../transport/open';
import type { NamingOptions, SyncDestination } from './destination';
import { checkImage } from './dry-run';
import { planSync, type SyncImage, type SyncPlanOptions } from './plan';
import type { FailedEntry, SyncEntry, SyncReport } from './report';
import type { RequestCount } from './sync-client';
import type { SyncSource } from './sync-file';

export interface SyncOptions extends SyncPlanOptions {
  destination: SyncDestination;
  /** Store root, blob-location cache and the run's registry client (`createSyncClient`, made by the caller). */
  open: OpenContext & { registryClient: () => Promise<RegistryClient> };
  naming?: NamingOptions;
  dryRun?: boolean;
  keepGoing?: boolean;
  /** Images at once (default 4: copy/batch.ts). */
  parallel?: number;
  /** Blob transfers at once per source registry, where the file sets no `concurrency` (default 4). */
  concurrency?: number;
  /** The counter the registry client reports to, for the report's `requests`. */
  requests?: RequestCount;
  signal?: AbortSignal;
  /** Each image as it finishes (progress lines). */
  onEntry?: (status: 'copied' | 'skipped' | 'failed', entry: SyncEntry | FailedEntry) => void;
}

/**
 * `kimg sync`: plans the images of `sources` (tags listed once per repository, filters, this pod's shard), then
 * copies them with the batch engine — several at once, each blob once per run, images already present at one
 * request per side — and reports every image. Failures are collected, never thrown (except a bad plan: then
 * nothing was copied); with `keepGoing` unset the run stops starting images after the first failure.
 */
export async function syncImages(sources: readonly SyncSource[], options: SyncOptions): Promise<SyncReport> {
  const started = Date.now();
  const client = await options.open.registryClient();
  const images = await planSync(
    sources,
    options.destination,
    {
      tags: (registry, repository) =>
        client.repository(registry, repository).listTags({ signal: options.signal }),
      catalog: (registry) => client.catalog(registry, { signal: options.signal }),
    },
    options,
  );
  const report: SyncReport = {
    dryRun: options.dryRun === true,
    ...(options.shard && { shard: options.shard }),
    planned: images.length,
    copied: [],
    skipped: [],
    failed: [],
    blobs: { copied: 0, mounted: 0, skipped: 0 },
    bytes: 0,
    requests: 0,
    requestsByHost: {},
    retries: 0,
    rateLimitPauses: 0,
    seconds: 0,
  };
  const add = (status: 'copied' | 'skipped' | 'failed', entry: SyncEntry | FailedEntry) => {
    if (status === 'failed') report.failed.push(entry as FailedEntry);
    else report[status].push(entry);
    options.onEntry?.(status, entry);
  };
  if (options.dryRun) await dryRun(images, options, add);
  else await copyAll(images, sources, options, report, add);
  report.bytes = [...report.copied, ...report.failed].reduce((sum, entry) => sum + entry.bytes, 0);
  report.requests = options.requests?.total ?? 0;
  report.requestsByHost = Object.fromEntries(options.requests?.byHost ?? []);
  const { retries, rateLimitPauses } = client.stats();
  report.retries = retries;
  report.rateLimitPauses = rateLimitPauses;
  report.seconds = (Date.now() - started) / 1000;
  return report;
}

async function copyAll(
  images: SyncImage[],
  sources: readonly SyncSource[],
  options: SyncOptions,
  report: SyncReport,
  add: (status: 'copied' | 'skipped' | 'failed', entry: SyncEntry | FailedEntry) => void,
): Promise<void> {
  const concurrency = new Map(sources.map((source) => [source.registry, source.concurrency]));
  const byId = new Map(images.map((image) => [image.name, image]));
  const result = await copyBatch(
    images.map((image) => ({
      id: image.name,
      from: { transport: 'docker', reference: image.source },
      to: image.to,
      options: image.options,
    })),
    {
      open: options.open,
      ...(options.parallel !== undefined && { parallel: options.parallel }),
      ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
      concurrencyOf: (host) => concurrency.get(host),
      keepGoing: options.keepGoing === true,
      ...(options.signal && { signal: options.signal }),
      onImage: (done) => {
        const image = byId.get(done.item.id);
        if (image) add(done.status, entryOf(image, done));
      },
    },
  );
  report.blobs = {
    copied: result.stats.blobsCopied,
    mounted: result.stats.blobsMounted,
    skipped: result.stats.blobsSkipped,
  };
}

function entryOf(image: SyncImage, done: BatchImageResult): SyncEntry | FailedEntry {
  const entry: SyncEntry = {
    source: image.name,
    destination: formatImageLocation(image.to),
    ...(done.descriptor && { digest: done.descriptor.digest }),
    bytes: done.stats.bytesCopied,
    seconds: done.seconds,
  };
  if (done.status !== 'failed') return entry;
  return { ...entry, ...failure(done.error) };
}

function failure(error: unknown): { reason: string; code?: string } {
  if (isKimgError(error)) return { reason: error.message, code: error.code };
  return { reason: error instanceof Error ? error.message : String(error) };
}

/** The cheap checks, several images at once as a real run would go. */
async function dryRun(
  images: SyncImage[],
  options: SyncOptions,
  add: (status: 'copied' | 'skipped' | 'failed', entry: SyncEntry | FailedEntry) => void,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < images.length) {
      const image = images[next++] as SyncImage;
      const started = Date.now();
      const entry: SyncEntry = {
        source: image.name,
        destination: formatImageLocation(image.to),
        bytes: 0,
        seconds: 0,
      };
      try {
        const check = await checkImage(image, options.open, options.signal);
        const seconds = (Date.now() - started) / 1000;
        add(check.status === 'skip' ? 'skipped' : 'copied', {
          ...entry,
          digest: check.digest,
          bytes: check.bytes,
          seconds,
        });
      } catch (err) {
        add('failed', { ...entry, seconds: (Date.now() - started) / 1000, ...failure(err) });
      }
    }
  };
  const workers = Math.max(1, Math.min(options.parallel ?? 4, images.length));
  await Promise.all(Array.from({ length: workers }, worker));
}
