import { KimgError } from '../errors';
import { formatReference, formatImageLocation, type ImageLocation } from '../reference';
import { defaultStoreRoot } from '../store';
import { DockerArchiveSource } from './docker-archive/source';
import { DockerDaemonDestination, DockerDaemonSource } from './docker-daemon';
import { openArchiveDestination } from './archive';
import { openLocalStore, type LocalStore } from './local';
import { OciArchiveSource } from './oci-archive/source';
import { openOciLayout } from './oci-layout';
import { openRegistryDir } from './registry-dir';
import type { ReadOnlyTarget, Target } from './types';

export interface OpenContext {
  /** `--root` / $KIMG_ROOT; undefined means the default XDG location. */
  storeRoot?: string;
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
      return DockerDaemonSource.open();
    case 'registry-dir':
      return openRegistryDir(location.dir);
    default:
      throw notYetAvailable(location);
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
      return DockerDaemonDestination.create();
    case 'registry-dir':
      return openRegistryDir(location.dir);
    default:
      throw notYetAvailable(location);
  }
}

function notYetAvailable(location: ImageLocation): KimgError {
  return new KimgError(
    'UNSUPPORTED',
    `the ${location.transport} transport (${formatImageLocation(location)}) is not available in this kimg build yet`,
    'use the local store, oci:DIR, oci-archive:FILE or docker-archive:FILE; registries arrive with the registry client',
  );
}
