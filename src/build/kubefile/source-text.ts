import type { Diagnostic, DiagnosticCode, Severity } from './diagnostic';
import type { Span } from './ast';

const UTF8_BOM = '\ufeff';

/**
 * The file as lines. Go's bufio.ScanLines (which BuildKit reads Dockerfiles with) splits on "\n" and drops one
 * trailing "\r"; a leading byte-order mark is ignored (BuildKit parser.go strips it from the first line).
 */
export class SourceText {
  readonly lines: string[];

  constructor(
    readonly file: string,
    text: string,
  ) {
    const body = text.startsWith(UTF8_BOM) ? text.slice(UTF8_BOM.length) : text;
    this.lines = body.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
    // "a\n" is one line, not two: a final terminator does not open an empty line.
    if (this.lines.length > 1 && this.lines[this.lines.length - 1] === '') this.lines.pop();
  }

  line(n: number): string {
    return this.lines[n - 1] ?? '';
  }

  /** Collects diagnostics for this file, clamping positions into the text so every report can be shown. */
  readonly diagnostics: Diagnostic[] = [];

  report(
    code: DiagnosticCode,
    span: Span,
    message: string,
    hint: string,
    severity: Severity = 'error',
  ): void {
    const line = Math.min(Math.max(span.line, 1), this.lines.length);
    const text = this.line(line);
    const column = Math.min(Math.max(span.column, 1), text.length + 1);
    const end = span.endLine === span.line ? span.endColumn : text.length + 1;
    const endColumn = Math.min(end, text.length + 1);
    this.diagnostics.push({
      code,
      severity,
      file: this.file,
      line,
      column,
      ...(endColumn > column && { endColumn }),
      message,
      hint,
      text,
    });
  }
}

export function pointSpan(line: number, column: number): Span {
  return { line, column, endLine: line, endColumn: column };
}

export function lineSpan(line: number, text: string, fromColumn = 1): Span {
  return { line, column: fromColumn, endLine: line, endColumn: text.length + 1 };
}
