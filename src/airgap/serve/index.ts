export { DirectoryStorage } from './directory-storage';
export { Htpasswd } from './htpasswd';
export { openImageStorage, type ImageStorageOptions } from './image-storage';
export { LayeredTarStorage } from './layered-tar-storage';
export {
  DEFAULT_SERVE_HOST,
  DEFAULT_SERVE_PORT,
  serveRegistry,
  type RegistryServerHandle,
  type RequestLogEntry,
  type ServeRegistryOptions,
} from './serve-registry';
export type { RegistryStorage, StorageEntry, StorageFile } from './storage';
