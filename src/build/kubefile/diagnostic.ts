/**
 * Kubefile diagnostics (STYLE.md §5: `{code, file, line, column, message, hint}`), plus the severity, an
 * optional end column on the same line and the offending source line so a report stands on its own.
 * Codes are stable: tests, editors and scripts match on them.
 */
export type DiagnosticCode =
  | 'EMPTY_FILE'
  | 'UNKNOWN_INSTRUCTION'
  | 'MISSING_ARGUMENT'
  | 'EXTRA_ARGUMENT'
  | 'INVALID_ARGUMENT'
  | 'UNKNOWN_FLAG'
  | 'INVALID_FLAG'
  | 'DUPLICATE_FLAG'
  | 'INVALID_JSON'
  | 'UNTERMINATED_QUOTE'
  | 'UNTERMINATED_HEREDOC'
  | 'EMPTY_CONTINUATION'
  | 'UNKNOWN_DIRECTIVE'
  | 'DUPLICATE_DIRECTIVE'
  | 'INVALID_ESCAPE'
  | 'INSTRUCTION_BEFORE_FROM'
  | 'NO_FROM'
  | 'UNDECLARED_ARG_IN_FROM'
  | 'INVALID_STAGE_NAME'
  | 'DUPLICATE_STAGE'
  | 'INVALID_ONBUILD'
  | 'LEGACY_KEY_VALUE'
  | 'INVALID_APP_SOURCE'
  | 'INVALID_APP_NAME'
  | 'DUPLICATE_LAUNCH'
  | 'LAUNCH_NOT_LAST'
  | 'INVALID_KUBEVERSION'
  | 'FILE_TOO_LARGE'
  | 'LINE_TOO_LONG'
  | 'TOO_MANY_INSTRUCTIONS'
  | 'SUBSTITUTION_TOO_DEEP'
  | 'TOO_MANY_DIAGNOSTICS';

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  code: DiagnosticCode;
  severity: Severity;
  file: string;
  line: number;
  column: number;
  /** Exclusive, on `line`; absent when the problem is a point (end of file, a missing word). */
  endColumn?: number;
  message: string;
  hint: string;
  /** The source line `line` refers to, without its line terminator. */
  text: string;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}
