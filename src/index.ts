/**
 * kimg as a library: the same functions the CLI calls. Layers (docs/architecture.md) are re-exported from the
 * bottom up; anything not exported here is internal.
 */
export { KimgError, isKimgError, type ErrorCode } from './errors';
export * from './digest';
export * from './manifest';
export * from './reference';
export { defaultStoreRoot } from './store';
export type { IoOptions, NamedImage, ReadOnlyTarget, Target } from './transport/types';
export { openLocalStore, LocalStore } from './transport/local';
export { openOciLayout } from './transport/oci-layout';
export {
  openArchiveSource,
  openArchiveDestination,
  ARCHIVE_FORMATS,
  type ArchiveFormat,
} from './transport/archive';
export { openDestination, openSource, openStore, locationRef } from './transport/open';
export * from './copy';
export { loadArchive } from './copy/load';
export { saveArchive } from './copy/save';
export { inspectImage, type ImageSummary } from './image/inspect';
export { listImages, type ImageListEntry } from './image/list';
export {
  DirectoryStorage,
  Htpasswd,
  openImageStorage,
  serveRegistry,
  type RegistryServerHandle,
  type RegistryStorage,
  type ServeRegistryOptions,
} from './airgap/serve';
