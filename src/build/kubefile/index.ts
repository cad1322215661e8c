export type * from './ast';
export type { Diagnostic, DiagnosticCode, Severity } from './diagnostic';
export { hasErrors } from './diagnostic';
export { formatDiagnostic } from './format-diagnostic';
export { parseKubefile, type ParseResult } from './parse-kubefile';
export { expand, type Env, type ExpandOptions, type ExpandResult } from './substitution';
export { AUTOMATIC_ARGS } from './file-checks';
export {
  EXPANDING_INSTRUCTIONS,
  HEREDOC_INSTRUCTIONS,
  INSTRUCTIONS,
  instructionKind,
} from './instruction-set';
