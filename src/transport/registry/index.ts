export * from './client-factory';
export * from './registry-ref';
export * from './registry-target';
export { BlobLocations, MAX_BLOB_LOCATIONS, MAX_REPOSITORIES_PER_BLOB } from './blob-locations';
