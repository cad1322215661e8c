/**
 * `kimg build` as a library: Kubefile → AST (kubefile/) → plan (plan/, pure) → execution (execute/, I/O) into
 * the local store, with the step cache (cache/). The CLI's build command is a thin caller of `build()`.
 */
export {
  build,
  CLUSTER_IMAGE_TYPES,
  SEALOS_TYPE_LABEL,
  type BuildOptions,
  type ClusterImageType,
} from './build';
export { dryRunImages, dryRunProblems, type DryRunImage, type DryRunResult } from './dry-run';
export type { PinnedSource } from './app-sources/app-sources';
export { BuildDiagnosticsError } from './execute/build-error';
export type { BuildReport, PlatformReport, StepReport } from './execute/report';
export { planBuild, formatAnyDiagnostic, type BuildPlan, type PlanOptions, type PlanResult } from './plan';
export { parseKubefile, formatDiagnostic, expand, type Diagnostic, type KubefileAst } from './kubefile';
export { BuildCache, BUILD_CACHE_DIR } from './cache';
