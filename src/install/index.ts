export { appFolderName, envRecord, resolveClusterImage, type ClusterImage } from './cluster-image';
export {
  checkClusterName,
  clustersHome,
  ClusterPaths,
  DEFAULT_CLUSTER_NAME,
  ROOT_CLUSTERS_HOME,
} from './cluster-paths';
export { locateCluster } from './cluster-target';
export { COMPRESSED_LAYER_ESTIMATE, checkFreeSpace, freeBytes, unpackedSize } from './disk-space';
export { installCluster, type InstallOptions, type InstallResult } from './install';
export { checkCompatibility, orderImages, rootfsVersion } from './install-order';
export {
  DEFAULT_REGISTRY_PORT,
  planInstall,
  REGISTRY_HOST,
  type InstallPlan,
  type PlannedStep,
} from './install-plan';
export { readClusterState, type ClusterState, type StepRecord } from './install-state';
export { listClusters, type ClusterSummary } from './list-clusters';
export { registryServiceAlive, stopRegistryService } from './registry-service';
export { unpackImage } from './unpack-image';
export { uninstallCluster, type UninstallOptions, type UninstallResult } from './uninstall';
