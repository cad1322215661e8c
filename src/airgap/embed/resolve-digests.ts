import { Limiter } from '../../copy';
import { parseImageLocation } from '../../reference';
import { openSource, type OpenContext } from '../../transport/open';
import type { DiscoveredImage } from '../discovery';
import { DEFAULT_MAX_PULLS, embedFailure } from './embed-images';

/** What a registry answers for one discovered image: its digest, or why it cannot be embedded. */
export interface ImageDigest {
  digest?: string;
  error?: string;
}

export interface ResolveDigestsOptions {
  open: OpenContext;
  /** Lookups at once (`--max-pull-procs`); default `DEFAULT_MAX_PULLS`. */
  maxPulls?: number;
  signal?: AbortSignal;
}

/**
 * `kimg build --dry-run`'s lookup: each registry image's digest by ONE manifest HEAD (`Target.resolve`), nothing
 * pulled, `maxPulls` at once. A failure is that image's answer (the line `resolveImages` would fail the build
 * with), not the run's: a dry run shows every problem at once. Images of archives, layouts and the daemon are
 * not looked up (reading them may unpack an archive into the store's scratch space): no entry. Abort rethrows.
 */
export async function resolveDigests(
  discovered: readonly DiscoveredImage[],
  options: ResolveDigestsOptions,
): Promise<Map<DiscoveredImage, ImageDigest>> {
  const limiter = new Limiter(options.maxPulls ?? DEFAULT_MAX_PULLS);
  const io = options.signal ? { signal: options.signal } : undefined;
  const answers = new Map<DiscoveredImage, ImageDigest>();
  await Promise.all(
    discovered
      .filter((image) => image.location === undefined)
      .map((image) =>
        limiter.run(async () => {
          options.signal?.throwIfAborted();
          try {
            const source = await openSource(parseImageLocation(`docker://${image.normalized}`), options.open);
            try {
              answers.set(image, { digest: (await source.resolve(image.normalized, io)).digest });
            } finally {
              await source.close().catch(() => undefined);
            }
          } catch (err) {
            answers.set(image, { error: embedFailure(image, err).message }); // an abort is rethrown there
          }
        }),
      ),
  );
  return answers;
}
