import { KimgError } from '../errors';
import { formatReference, formatImageLocation, type ImageLocation, type ImageReference } from '../reference';
import { defaultStoreRoot } from '../store';
import { DockerArchiveSource } from './docker-archive/source';
import { openArchiveDestination } from './archive';
import { openLocalStore, type LocalStore } from './local';
import { OciArchiveSource } from './oci-archive/source';
import { openOciLayout } from './oci-layout';
import { openRegistryDir } from './registry-dir';
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
}

/*
 * The registry (undici) and docker-daemon (dockerode) transports are loaded on first use: together they are
 * two thirds of the CLI's start-up time and memory, and most commands never touch them.
 */
async function openRegistry(
  reference: ImageReference,
  context: OpenContext,
  push: boolean,
): Promise<RegistryTarget> {
  const { createRegistryClient, RegistryTarget } = await import('./registry');
  const shared = await context.registryClient?.();
  const client = shared ?? createRegistryClient(context.registryFlags);
  return new RegistryTarget(client, reference, { push, ownsClient: shared === undefined });
}

export function openStore(root: string | undefined): LocalStore {
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
      return openOciLayout(location.dir);
    case 'oci-archive':
      return OciArchiveSource.open(location.file);
    case 'docker-archive':
      return DockerArchiveSource.open(location.file);
    case 'docker-daemon':
      return (await import('./docker-daemon')).DockerDaemonSource.open();
    case 'registry-dir':
      return openRegistryDir(location.dir);
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
      return openOciLayout(location.dir);
    case 'oci-archive':
      return openArchiveDestination(location.file, 'oci-archive');
    case 'docker-archive':
      return openArchiveDestination(location.file, 'docker-archive');
    case 'docker-daemon':
      if ('id' in location) {
        throw new KimgError(
          'INVALID_ARGUMENT',
          `${formatImageLocation(location)} cannot be a destination: the daemon gives a loaded image its ID`,
          'name the destination docker-daemon:NAME:TAG',
        );
      }
      return (await import('./docker-daemon')).DockerDaemonDestination.create();
    case 'registry-dir':
      return openRegistryDir(location.dir);
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
