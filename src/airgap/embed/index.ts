export {
  copyResolved,
  DEFAULT_MAX_PULLS,
  embeddedRecords,
  resolveImages,
  type EmbedOptions,
  type ResolvedImage,
  type ResolvedImages,
} from './embed-images';
export { registryLayerEntries } from './registry-layer-entries';
export { storedName } from './stored-name';
