export type {
  DiscoveredImage,
  DiscoveryMethod,
  DiscoveryOptions,
  DiscoveryResult,
  ImageSource,
} from './discovered-image';
export {
  DEFAULT_HELM_TIMEOUT_MS,
  DEFAULT_MAX_FILE_BYTES,
  DEFAULT_MAX_HELM_OUTPUT_BYTES,
  DiscoveryEnv,
  MAX_ALIAS_COUNT,
  MAX_YAML_DEPTH,
  MAX_YAML_NODES,
  type DiscoveryLimits,
} from './discovery-limits';
export { discoverImages } from './discover-images';
export { findHelm } from './helm-binary';
export { IMAGE_ANNOTATIONS } from './chart-annotation';
