import type { PlatformChoice } from '../copy/platform-selection';
import type { TransferOptions } from '../copy/transfer';
import { isDigest } from '../digest';
import { KimgError } from '../errors';
import { parsePlatform } from '../manifest/platform';
import type { ImageLocation, ImageReference } from '../reference';
import { destinationLocation, type NamingOptions, type SyncDestination } from './destination';
import { tagsInRange } from './semver-tags';
import { inShard, type Shard } from './shard';
import type { SyncSource } from './sync-file';

/** One image of a sync: where it is read, where it goes, and what of it moves. */
export interface SyncImage {
  /** `host/repo:tag` or `host/repo@digest`: how the report names it, and what `--shard` hashes. */
  name: string;
  source: ImageReference;
  to: ImageLocation;
  options: Pick<TransferOptions, 'platforms' | 'referrers' | 'digestTags'>;
}

/** What the plan may ask a registry: the listings only (tags once per repository, the catalog once per host). */
export interface SyncListing {
  tags(registry: string, repository: string): Promise<string[]>;
  catalog(registry: string): Promise<string[]>;
}

export interface SyncPlanOptions {
  naming?: NamingOptions;
  shard?: Shard;
  /** For sources that set none: every platform unless given (a mirror keeps images whole). */
  platforms?: PlatformChoice;
  referrers?: boolean;
  digestTags?: boolean;
}

/**
 * The images a sync copies, in the order the sources list them, each once: `images` entries as written (an
 * empty list means every tag), `images-by-tag-regex` and `images-by-semver` over the repository's tags — listed
 * once per repository however many keys name it — minus `exclude`, then only this pod's `shard`.
 */
export async function planSync(
  sources: readonly SyncSource[],
  destination: SyncDestination,
  listing: SyncListing,
  options: SyncPlanOptions = {},
): Promise<SyncImage[]> {
  const tagLists = new Map<string, Promise<string[]>>();
  const tagsOf = (registry: string, repository: string): Promise<string[]> => {
    const key = `${registry}/${repository}`;
    let tags = tagLists.get(key);
    if (!tags) {
      tags = listing.tags(registry, repository);
      tagLists.set(key, tags);
    }
    return tags;
  };
  const images = new Map<string, SyncImage>();
  for (const source of sources) {
    const refs = await sourceRefs(source, tagsOf, listing);
    const transfer = transferOptions(source, options);
    for (const { repository, pin } of refs) {
      const written = `${repository}${pin.startsWith('sha256:') ? '@' : ':'}${pin}`;
      if (source.exclude.some((pattern) => pattern.test(written))) continue;
      const reference: ImageReference = {
        domain: source.registry,
        path: repository,
        ...(isDigest(pin) ? { digest: pin } : { tag: pin }),
      };
      const name = `${source.registry}/${written}`;
      if (images.has(name) || !inShard(name, options.shard)) continue;
      images.set(name, {
        name,
        source: reference,
        to: destinationLocation(reference, destination, options.naming),
        options: transfer,
      });
    }
  }
  return [...images.values()];
}

async function sourceRefs(
  source: SyncSource,
  tagsOf: (registry: string, repository: string) => Promise<string[]>,
  listing: SyncListing,
): Promise<{ repository: string; pin: string }[]> {
  const out: { repository: string; pin: string }[] = [];
  const add = (repository: string, pins: string[]) => {
    for (const pin of pins) out.push({ repository, pin });
  };
  for (const [repository, pins] of source.images) {
    add(repository, pins.length > 0 ? pins : await tagsOf(source.registry, repository));
  }
  for (const [repository, pattern] of source.tagPatterns) {
    add(
      repository,
      (await tagsOf(source.registry, repository)).filter((tag) => pattern.test(tag)),
    );
  }
  for (const [repository, range] of source.semverRanges) {
    add(repository, tagsInRange(await tagsOf(source.registry, repository), range));
  }
  if (source.everyRepository) {
    const wanted = source.everyRepository.tags;
    for (const repository of await listing.catalog(source.registry)) {
      const tags = await tagsOf(source.registry, repository);
      add(repository, wanted ? tags.filter((tag) => wanted.test(tag)) : tags);
    }
  }
  return out;
}

function transferOptions(source: SyncSource, defaults: SyncPlanOptions): SyncImage['options'] {
  const platforms: PlatformChoice | undefined = source.platforms ? platformsOf(source) : defaults.platforms;
  const referrers = source.referrers ?? defaults.referrers;
  const digestTags = source.digestTags ?? defaults.digestTags;
  return {
    ...(platforms && { platforms }),
    ...(referrers && { referrers }),
    ...(digestTags && { digestTags }),
  };
}

function platformsOf(source: SyncSource): PlatformChoice {
  const listed = source.platforms ?? [];
  if (listed.length === 0 || listed.includes('all')) return { kind: 'all' };
  try {
    return { kind: 'platforms', platforms: listed.map((text) => parsePlatform(text)) };
  } catch (err) {
    throw new KimgError(
      'SYNC_CONFIG_INVALID',
      `${source.registry} > platforms: ${(err as Error).message}`,
      'write platforms as os/arch[/variant], e.g. linux/amd64, or "all"',
    );
  }
}
