export {
  CLUSTER_IMAGE_TYPES,
  ClusterEnv,
  ClusterLabels,
  INSTALL_HOOKS,
  UNINSTALL_HOOKS,
  type ClusterImageType,
  type HookName,
} from './labels';
export { ClusterDirs, TEMPLATE_SUFFIX } from './layout';
export {
  APP_KINDS,
  appRecordSchema,
  appRecordsSchema,
  embeddedImagesSchema,
  launchRecordSchema,
  readLabelRecord,
  type AppKind,
  type AppRecord,
  type AppSourcePin,
  type EmbeddedImageRecord,
  type LaunchRecord,
  type RecordRead,
} from './records';
