import { copyItems, Limiter, type PlatformChoice } from '../../copy';
import type { EmbeddedImageRecord } from '../../cluster';
import { KimgError } from '../../errors';
import type { Descriptor, Platform } from '../../manifest/descriptor';
import { formatPlatform } from '../../manifest/platform';
import { parseImageLocation } from '../../reference';
import { openDestination, openSource, type OpenContext } from '../../transport/open';
import type { ReadOnlyTarget } from '../../transport/types';
import type { DiscoveredImage } from '../discovery';
import { setMaxListeners } from 'node:events';
import { openContextImage } from './context-location';
import { storedName } from './stored-name';

/** `--max-pull-procs` default: images pulled at once (sealos' default too). */
export const DEFAULT_MAX_PULLS = 5;

export interface EmbedOptions {
  open: OpenContext;
  /** The build's platform(s); `'all'` keeps every child of an index (`--all-platforms`). */
  platforms: readonly Platform[] | 'all';
  /** Images resolved or copied at once; default `DEFAULT_MAX_PULLS`. */
  maxPulls?: number;
  /** `--ignore-missing-images`: an image that cannot be resolved is left out with a warning, not an error. */
  ignoreMissing?: boolean;
  onWarning?: (line: string) => void;
  /**
   * The build context: list lines naming an archive, a layout or the daemon (`docker-archive:x.tar`) are read
   * relative to it and must stay inside it. Without it such lines are refused.
   */
  contextDir?: string;
  signal?: AbortSignal;
}

/** A discovered image found at its source: what is embedded, and under which name. */
export interface ResolvedImage {
  image: DiscoveredImage;
  /** Its name in `registry/` (`storedName`). */
  name: string;
  descriptor: Descriptor;
  source: ReadOnlyTarget;
}

/** The resolved images of one build; `close` releases their sources. */
export interface ResolvedImages {
  images: ResolvedImage[];
  close(): Promise<void>;
}

/**
 * Finds every image at its source by name only (a registry answers a HEAD of the manifest), in parallel: enough
 * to know the exact set that would be embedded (name, digest, platforms) before anything is pulled, which is
 * what the build caches the `registry/` layer on. An image that cannot be found fails naming its `file:line`.
 */
export async function resolveImages(
  discovered: readonly DiscoveredImage[],
  options: EmbedOptions,
): Promise<ResolvedImages> {
  const limiter = new Limiter(options.maxPulls ?? DEFAULT_MAX_PULLS);
  const opened: ReadOnlyTarget[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(opened.map((target) => target.close().catch(() => undefined)));
  };
  const results = await allOrNothing(discovered, options.signal, (image, signal) =>
    limiter.run(async () => {
      signal.throwIfAborted(); // queued behind the limiter when another image already failed
      try {
        return await resolveOne(image, { ...options, signal }, opened);
      } catch (err) {
        const failure = embedFailure(image, err);
        // A path leading out of the context is refused, never skipped: it is not a missing image.
        if (!options.ignoreMissing || signal.aborted || failure.code === 'FILE_REFUSED') throw failure;
        options.onWarning?.(`${failure.message}: left out (--ignore-missing-images)`);
        return undefined;
      }
    }),
  ).catch(async (err: unknown) => {
    await close();
    throw err;
  });
  return { images: results.filter((r): r is ResolvedImage => r !== undefined), close };
}

/**
 * Runs `task` for every item; the first failure aborts the others (through the signal they get) and is thrown
 * only once all of them have stopped, so nothing is still writing when the caller cleans up.
 */
async function allOrNothing<T, R>(
  items: readonly T[],
  outer: AbortSignal | undefined,
  task: (item: T, signal: AbortSignal) => Promise<R>,
): Promise<R[]> {
  const controller = new AbortController();
  const signal = outer ? AbortSignal.any([outer, controller.signal]) : controller.signal;
  // One signal for every image of the run: each request queued behind the per-host limiter listens to it, so
  // more than node's default of 10 listeners is the normal case here, not a leak.
  setMaxListeners(0, signal);
  let failure: { error: unknown } | undefined;
  const settled = await Promise.allSettled(
    items.map((item) =>
      task(item, signal).catch((error: unknown) => {
        failure ??= { error };
        controller.abort();
        throw error;
      }),
    ),
  );
  if (failure) throw failure.error;
  return settled.map((r) => (r as PromiseFulfilledResult<R>).value);
}

async function resolveOne(
  image: DiscoveredImage,
  options: EmbedOptions,
  opened: ReadOnlyTarget[],
): Promise<ResolvedImage> {
  const io = options.signal ? { signal: options.signal } : undefined;
  if (image.location !== undefined) {
    if (options.contextDir === undefined) {
      throw new KimgError(
        'UNSUPPORTED',
        `${image.reference}: an image from ${image.location.transport} is embedded only by a build (its paths are the context's)`,
        'list it in images/shim/ of the build context',
      );
    }
    const local = await openContextImage(image.location, options.contextDir, options.open, io ?? {});
    opened.push(local.source);
    return { image, name: storedName(local.name), descriptor: local.descriptor, source: local.source };
  }
  const source = await openSource(parseImageLocation(`docker://${image.normalized}`), options.open);
  opened.push(source);
  const descriptor = await source.resolve(image.normalized, io);
  return { image, name: storedName(image.normalized), descriptor, source };
}

/**
 * Copies the resolved images into the registry-dir `dir` in ONE transaction of one destination (blobs shared
 * between images are staged and stored once, every blob verified by the copy engine), `maxPulls` images at once.
 * An index keeps its bytes and only the children of the build's platforms (a sparse index), so a reference
 * pinned to the index digest still pulls offline. Any failure aborts: `dir` is left as it was.
 */
export async function copyResolved(
  resolved: readonly ResolvedImage[],
  dir: string,
  options: EmbedOptions,
): Promise<void> {
  const limiter = new Limiter(options.maxPulls ?? DEFAULT_MAX_PULLS);
  const platforms: PlatformChoice =
    options.platforms === 'all'
      ? { kind: 'all' }
      : { kind: 'platforms', platforms: [...options.platforms], keepIndex: true };
  const destination = await openDestination({ transport: 'registry-dir', dir }, options.open);
  try {
    await allOrNothing(resolved, options.signal, (entry, signal) =>
      limiter.run(async () => {
        signal.throwIfAborted();
        try {
          await copyItems(
            entry.source,
            destination,
            [{ descriptor: entry.descriptor, names: [entry.name] }],
            {
              platforms,
              signal,
            },
          );
        } catch (err) {
          throw embedFailure(entry.image, err);
        }
      }),
    );
    await destination.commit(options.signal ? { signal: options.signal } : {});
  } catch (err) {
    await destination.abort();
    throw err;
  } finally {
    await destination.close();
  }
}

/** The `io.kimg.images` record of what is embedded, in the order of the discovery (sorted by name). */
export function embeddedRecords(
  resolved: readonly ResolvedImage[],
  platforms: readonly Platform[] | 'all',
): EmbeddedImageRecord[] {
  const shown = platforms === 'all' ? ['all'] : platforms.map(formatPlatform);
  return resolved.map(({ image, name, descriptor }) => ({
    reference: image.reference,
    name,
    digest: descriptor.digest,
    platforms: shown,
    sources: image.sources.map((s) => `${s.file}:${s.line}`),
  }));
}

/** The error of an image that cannot be embedded: the image and every place that asked for it lead the line. */
export function embedFailure(image: DiscoveredImage, err: unknown): KimgError {
  if (err instanceof Error && err.name === 'AbortError') throw err;
  const where = image.sources.map((s) => `${s.file}:${s.line}`).join(', ');
  const message = err instanceof Error ? err.message : String(err);
  const code = err instanceof KimgError ? err.code : 'IMAGE_NOT_FOUND';
  const hint = err instanceof KimgError ? err.hint : undefined;
  return new KimgError(
    code,
    `image ${image.reference} (${where}) cannot be embedded: ${message}`,
    hint ?? 'fix the reference, or build with --ignore-missing-images to leave it out',
    { cause: err },
  );
}
