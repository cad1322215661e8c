import { KimgError } from '../../errors';
import type { Diagnostic } from '../kubefile/diagnostic';
import { formatAnyDiagnostic, type AnyDiagnostic } from '../plan/plan-diagnostic';

/**
 * A Kubefile with errors (parser or planner): every diagnostic of the file, so the CLI prints them all with
 * formatDiagnostic and exits non-zero before anything is read from or written to the store.
 */
export class BuildDiagnosticsError extends KimgError {
  constructor(readonly diagnostics: readonly AnyDiagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    const first = errors[0] ?? diagnostics[0];
    super(
      'INVALID_ARGUMENT',
      first
        ? `${first.file}: ${errors.length} error(s) in the Kubefile; the first: ${first.line}:${first.column}: ${first.message}`
        : 'the Kubefile has errors',
      first?.hint,
    );
  }

  /** All diagnostics, each as formatDiagnostic prints it. */
  format(): string {
    return this.diagnostics.map(formatAnyDiagnostic).join('\n');
  }
}

export type { Diagnostic };
