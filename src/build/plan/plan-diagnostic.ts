import type { Span } from '../kubefile/ast';
import type { Diagnostic } from '../kubefile/diagnostic';
import { formatDiagnostic } from '../kubefile/format-diagnostic';

/** Problems only the planner can see: they need the stages, the build args and the platform. */
export type PlanDiagnosticCode =
  | 'UNKNOWN_STAGE'
  | 'INVALID_SUBSTITUTION'
  | 'INVALID_FLAG'
  | 'UNSUPPORTED'
  | 'UNKNOWN_TARGET'
  | 'INVALID_APP_SOURCE';

/** The parser's diagnostic shape with the planner's codes: printed by the same formatDiagnostic. */
export type PlanDiagnostic = Omit<Diagnostic, 'code'> & { code: PlanDiagnosticCode };

export type AnyDiagnostic = Diagnostic | PlanDiagnostic;

/** formatDiagnostic reads positions, text and hint, never the code, so it formats both kinds. */
export function formatAnyDiagnostic(d: AnyDiagnostic): string {
  return formatDiagnostic(d as Diagnostic);
}

/** Collects plan diagnostics with the offending source line attached, as the parser's SourceText does. */
export class PlanReporter {
  readonly diagnostics: PlanDiagnostic[] = [];
  private readonly lines: string[];

  constructor(
    readonly file: string,
    text: string,
  ) {
    this.lines = text
      .replace(/^\ufeff/, '')
      .split('\n')
      .map((line) => line.replace(/\r$/, ''));
  }

  error(code: PlanDiagnosticCode, span: Span, message: string, hint: string): void {
    const text = this.lines[span.line - 1] ?? '';
    this.diagnostics.push({
      code,
      severity: 'error',
      file: this.file,
      line: span.line,
      column: span.column,
      ...(span.endLine === span.line && { endColumn: span.endColumn }),
      message,
      hint,
      text,
    });
  }
}
