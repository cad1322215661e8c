import { KimgError } from '../errors';
import { formatReference, formatImageLocation, type ImageLocation, type ImageReference } from '../reference';
import { defaultStoreRoot, LayoutPaths } from '../store/paths';
import type { Scratch } from '../store/scratch';
import type { ArchiveDestinationOptions } from './archive/archive-destination';
import type { ArchiveReadOptions } from './archive/open';
import type { LocalStore } from './local';
import type { RegistryTarget, RegistryFlags } from './registry';
import type { RegistryClient } from '../registry';
import type { ReadOnlyTarget, Target } from './types';

export interface OpenContext {
  /** `--root` / $KIMG_ROOT; undefined means the default XDG location. */
  storeRoot?: string;
  /**
   * The run's one registry client, shared by source and destination (tokens, pools, per-host limits); the
   * caller creates it lazily and closes it. Without it each `docker://` target makes and closes its own.
   */
  registryClient?: () => Promise<RegistryClient>;
  /** `--authfile`, `--cert-dir`, `--tls-verify` for targets that make their own client. */
  registryFlags?: RegistryFlags;
  /**
   * The blob-location cache file (`LayoutPaths.blobLocationsFile` of the store): registry
   * targets mount blobs from where earlier runs put them. Without it nothing is remembered between runs.
   */
  blobLocations?: string;
  /** `--max-inflate-ratio` / KIMG_MAX_INFLATE_RATIO: the bound on inflating gzipped archives (layer/inflate-bound.ts). */
  maxInflateRatio?: number;
  /**
   * Keep working files (inflated archives, temp archives, daemon exports) in the store's scratch space
   * (`storeRoot`'s `.kimg/scratch/`), as the CLI does. Without it they go to a private dir in os.tmpdir(),
   * removed on SIGINT/SIGTERM but not by prune: a library caller's run never writes into a store it did not ask
   * for.
   */
  scratchInStore?: boolean;
}

/**
 * A scratch dir in the store (`.kimg/scratch/<owner>/`, store/scratch.ts): what archives need beyond their own
 * file — an inflated copy of a gzipped archive, the record of a temp archive being written — lives where the
 * store can find it again, so SIGINT/SIGTERM remove it and `kimg prune` sweeps what SIGKILL leaves.
 */
function storeScratch(context: OpenContext): { openScratch?: (purpose: string) => Promise<Scratch> } {
  if (context.scratchInStore !== true) return {};
  const paths = new LayoutPaths(context.storeRoot ?? defaultStoreRoot());
  return { openScratch: async (purpose) => (await import('../store/scratch')).Scratch.open(paths, purpose) };
}

/** How archive sources of this context read gzipped files: inflated in the store's scratch, within the bound. */
export function archiveReadOptions(context: OpenContext): ArchiveReadOptions {
  return {
    ...storeScratch(context),
    ...(context.maxInflateRatio !== undefined && { maxInflateRatio: context.maxInflateRatio }),
  };
}

/** How archive destinations of this context record their temp file: adopted by a store scratch dir. */
export function archiveWriteOptions(context: OpenContext): ArchiveDestinationOptions {
  return storeScratch(context);
}

/*
 * Every transport but the local store is loaded on first use: the registry (undici) and docker-daemon
 * (dockerode) ones were two thirds of the CLI's start-up time and memory, and the archive readers and writers
 * (tar index, tar-stream, gzip) another ~20 ms that a registry-to-registry copy never needs.
 */
async function openRegistry(
  reference: ImageReference,
  context: OpenContext,
  push: boolean,
): Promise<RegistryTarget> {
  const { BlobLocations, createRegistryClient, RegistryTarget } = await import('./registry');
  const shared = await context.registryClient?.();
  const client = shared ?? createRegistryClient(context.registryFlags);
  const blobLocations = context.blobLocations ? await BlobLocations.open(context.blobLocations) : undefined;
  return new RegistryTarget(client, reference, {
    push,
    ownsClient: shared === undefined,
    ...(blobLocations && { blobLocations }),
  });
}

/**
 * The local store, also loaded on first use (its layout code and inter-process lock are ~8 ms that a
 * registry-to-registry copy never needs).
 */
export function openStore(root: string | undefined): LocalStore {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- synchronous lazy load, see above
  const { openLocalStore } = require('./local') as typeof import('./local');
  return openLocalStore(root ?? defaultStoreRoot());
}

/** The ref string the opened target's `resolve` takes for this location. */
export function locationRef(location: ImageLocation): string | undefined {
  switch (location.transport) {
    case 'store':
      // The store resolves names first, then ID prefixes (docker's order), from the text as typed.
      if ('id' in location) return location.id;
      return location.idPrefix ?? formatReference(location.reference);
    case 'oci':
    case 'oci-archive':
      return location.ref;
    case 'docker-archive':
      if (!location.ref) return undefined;
      return location.ref.kind === 'index'
        ? `@${location.ref.index}`
        : formatReference(location.ref.reference);
    case 'docker-daemon':
      return 'id' in location ? location.id : formatReference(location.reference);
    case 'registry-dir':
      return location.ref && formatReference(location.ref);
    case 'docker':
      return formatReference(location.reference);
    default:
      return undefined;
  }
}

/** Opens the place `location` names for reading. Transports not in this build say so and name the way out. */
export async function openSource(location: ImageLocation, context: OpenContext): Promise<ReadOnlyTarget> {
  switch (location.transport) {
    case 'store':
      return openStore(context.storeRoot);
    case 'oci':
      return (await import('./oci-layout')).openOciLayout(location.dir);
    case 'oci-archive':
      return (await import('./oci-archive/source')).OciArchiveSource.open(
        location.file,
        archiveReadOptions(context),
      );
    case 'docker-archive':
      return (await import('./docker-archive/source')).DockerArchiveSource.open(
        location.file,
        archiveReadOptions(context),
      );
    case 'docker-daemon':
      return (await import('./docker-daemon')).DockerDaemonSource.open(storeScratch(context));
    case 'registry-dir':
      return (await import('./registry-dir')).openRegistryDir(location.dir);
    case 'docker':
      return openRegistry(location.reference, context, false);
    default:
      throw unknownTransport(location);
  }
}

export async function openDestination(location: ImageLocation, context: OpenContext): Promise<Target> {
  switch (location.transport) {
    case 'store':
      return openStore(context.storeRoot);
    case 'oci':
      return (await import('./oci-layout')).openOciLayout(location.dir);
    case 'oci-archive':
      return (await import('./archive')).openArchiveDestination(
        location.file,
        'oci-archive',
        archiveWriteOptions(context),
      );
    case 'docker-archive':
      return (await import('./archive')).openArchiveDestination(
        location.file,
        'docker-archive',
        archiveWriteOptions(context),
      );
    case 'docker-daemon':
      if ('id' in location) {
        throw new KimgError(
          'INVALID_ARGUMENT',
          `${formatImageLocation(location)} cannot be a destination: the daemon gives a loaded image its ID`,
          'name the destination docker-daemon:NAME:TAG',
        );
      }
      return (await import('./docker-daemon')).DockerDaemonDestination.create(storeScratch(context));
    case 'registry-dir':
      return (await import('./registry-dir')).openRegistryDir(location.dir);
    case 'docker':
      return openRegistry(location.reference, context, true);
    default:
      throw unknownTransport(location);
  }
}

/** Unreachable while every ImageLocation kind has a case above; the compiler checks that through `never`. */
function unknownTransport(location: never): KimgError {
  return new KimgError('UNKNOWN_TRANSPORT', `no transport opens ${JSON.stringify(location)}`);
}
