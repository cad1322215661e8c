/**
 * The folders of a cluster image's root file system (sealos and sealer agree on them). Names are relative and
 * without a trailing slash, as they appear in a layer's tar and in a build context.
 */
export const ClusterDirs = {
  /** Binaries of the Kubernetes "kernel" (kubeadm, kubelet, …). */
  bin: 'bin',
  /** Configuration files, some of them `.tmpl` templates rendered at install. */
  etc: 'etc',
  /** Hook scripts named by the hook labels. */
  scripts: 'scripts',
  /** Helm charts; `charts/<chart>.values.yaml` overrides a chart's values (sealos). */
  charts: 'charts',
  /** Plain Kubernetes manifests. */
  manifests: 'manifests',
  /** Lists of image references to embed, one per line (sealos `images/shim`). */
  imageLists: 'images/shim',
  /** sealos' list of image archives (`images/skopeo/tar.txt`). */
  imageArchiveList: 'images/skopeo/tar.txt',
  /** The embedded images, in the CNCF distribution registry's storage layout. */
  registry: 'registry',
} as const;

/** Files ending with this under etc/, scripts/ and manifests/ are Go templates rendered at install (sealos). */
export const TEMPLATE_SUFFIX = '.tmpl';
