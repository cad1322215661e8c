export {
  copyResolved,
  DEFAULT_MAX_PULLS,
  embeddedRecords,
  resolveImages,
  type EmbedOptions,
  type ResolvedImage,
  type ResolvedImages,
} from './embed-images';
export { resolveDigests, type ImageDigest, type ResolveDigestsOptions } from './resolve-digests';
export { registryLayerEntries } from './registry-layer-entries';
export { storedName } from './stored-name';
