/**
 * The labels a cluster image carries in its config, shared by build (writes them), embedding (records what it
 * embedded) and install (reads them). Sealos' and sealer's names are kept verbatim so their tools read kimg
 * images (sealos `pkg/constants`, sealer `pkg/define/...`); kimg's own live under `io.kimg.`.
 */
export const ClusterLabels = {
  /** sealos: rootfs | application | patch. */
  type: 'sealos.io.type',
  /** sealos: the Kubernetes version of a rootfs image (`v1.29.9`). */
  version: 'sealos.io.version',
  /** The version label older sealos rootfs images use. */
  legacyVersion: 'version',
  /** sealer's KUBEVERSION: the semver range of Kubernetes an app image supports. */
  kubeVersion: 'app.alpha.sealer.io/supported-kube-version',
  cni: 'cluster.alpha.sealer.io/kube-cni',
  csi: 'cluster.alpha.sealer.io/kube-csi',
  /** kimg: the apps of APP/CNI/CSI/APPCMDS/APPENV, JSON (`appRecordsSchema`). */
  apps: 'io.kimg.apps',
  /** kimg: LAUNCH or CMDS, JSON (`launchRecordSchema`). */
  launch: 'io.kimg.launch',
  /** kimg: the container images embedded in `registry/`, JSON (`embeddedImagesSchema`). */
  images: 'io.kimg.images',
} as const;

/** `sealos.io.type` values. */
export const CLUSTER_IMAGE_TYPES = ['rootfs', 'application', 'patch'] as const;
export type ClusterImageType = (typeof CLUSTER_IMAGE_TYPES)[number];

/**
 * Hook labels of a rootfs image, in the order sealos runs them on install (`lifecycle/pkg/bootstrap`): each
 * value is a script run as `cd <rootfs>/scripts && bash <value>`. The clean hooks run in reverse on uninstall.
 */
export const INSTALL_HOOKS = ['check', 'init-registry', 'init-cri', 'init'] as const;
export const UNINSTALL_HOOKS = ['clean', 'clean-registry', 'clean-cri'] as const;
export type HookName = (typeof INSTALL_HOOKS)[number] | (typeof UNINSTALL_HOOKS)[number];

/** Environment names sealos passes to hooks and templates. */
export const ClusterEnv = {
  registryDomain: 'registryDomain',
  registryPort: 'registryPort',
  registryData: 'registryData',
  criData: 'criData',
  /** The rootfs image's Kubernetes version (sealos `ImageKubeVersionEnvSysKey`, types/v1beta1/cluster.go). */
  kubeVersion: 'SEALOS_SYS_KUBE_VERSION',
} as const;
