export * from './types';
export { planBuild, SCRATCH_ENV, type BaseInfo, type PlanOptions, type PlanResult } from './plan-build';
export {
  formatAnyDiagnostic,
  type AnyDiagnostic,
  type PlanDiagnostic,
  type PlanDiagnosticCode,
} from './plan-diagnostic';
export { platformArgs } from './scope';
export { APPS_DIR } from './plan-copy';
