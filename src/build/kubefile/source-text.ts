import type { Diagnostic, DiagnosticCode, Severity } from './diagnostic';
import type { Span } from './ast';

const UTF8_BOM = '\ufeff';

/** Diagnostics kept per file: a file of a million broken lines must not become a million reports. */
export const MAX_DIAGNOSTICS = 1000;

/**
 * The file as lines. Go's bufio.ScanLines (which BuildKit reads Dockerfiles with) splits on "\n" and drops one
 * trailing "\r"; a leading byte-order mark is ignored (BuildKit parser.go strips it from the first line).
 * Lines are not copied out: a table of where each starts (4 bytes a line) and a slice when one is asked for.
 */
export class SourceText {
  private readonly body: string;
  /** starts[i]: offset of line i + 1 in `body`; starts[lineCount]: one past the end (a virtual "\n"). */
  private readonly starts: Uint32Array;
  readonly lineCount: number;

  constructor(
    readonly file: string,
    text: string,
  ) {
    this.body = text.startsWith(UTF8_BOM) ? text.slice(UTF8_BOM.length) : text;
    let count = 1;
    for (let at = this.body.indexOf('\n'); at !== -1; at = this.body.indexOf('\n', at + 1)) count++;
    // "a\n" is one line, not two: a final terminator does not open an empty line.
    const terminated = count > 1 && this.body.endsWith('\n');
    if (terminated) count--;
    this.lineCount = count;
    this.starts = new Uint32Array(count + 1);
    let line = 1;
    for (let at = this.body.indexOf('\n'); at !== -1 && line < count; at = this.body.indexOf('\n', at + 1)) {
      this.starts[line++] = at + 1;
    }
    this.starts[count] = terminated ? this.body.length : this.body.length + 1;
  }

  /** Line `n` (1-based) without its terminator; '' outside the file. */
  line(n: number): string {
    if (n < 1 || n > this.lineCount) return '';
    const start = this.starts[n - 1] as number;
    let end = Math.min((this.starts[n] as number) - 1, this.body.length);
    if (this.body.charCodeAt(end - 1) === 0x0d && end > start) end--;
    return this.body.slice(start, end);
  }

  /** The length of line `n` without reading it out. */
  lineLength(n: number): number {
    if (n < 1 || n > this.lineCount) return 0;
    const start = this.starts[n - 1] as number;
    const end = Math.min((this.starts[n] as number) - 1, this.body.length);
    return end > start && this.body.charCodeAt(end - 1) === 0x0d ? end - start - 1 : end - start;
  }

  /** Reports past MAX_DIAGNOSTICS are counted, not kept; `dropped` says how many and whether errors were among them. */
  readonly dropped = { count: 0, errors: 0 };

  /** Collects diagnostics for this file, clamping positions into the text so every report can be shown. */
  readonly diagnostics: Diagnostic[] = [];

  report(
    code: DiagnosticCode,
    span: Span,
    message: string,
    hint: string,
    severity: Severity = 'error',
  ): void {
    if (this.diagnostics.length >= MAX_DIAGNOSTICS) {
      this.dropped.count++;
      if (severity === 'error') this.dropped.errors++;
      return;
    }
    const line = Math.min(Math.max(span.line, 1), this.lineCount);
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

/**
 * After the cap: one last diagnostic that says how many were left out, an error when errors were among them
 * so the file still fails.
 */
export function reportDropped(source: SourceText): void {
  const { count, errors } = source.dropped;
  if (count === 0) return;
  const last = source.diagnostics[source.diagnostics.length - 1];
  source.diagnostics.push({
    code: 'TOO_MANY_DIAGNOSTICS',
    severity: errors > 0 ? 'error' : 'warning',
    file: source.file,
    line: last?.line ?? 1,
    column: 1,
    message: `${count} more problem(s) not shown (${errors} error(s)); only the first ${MAX_DIAGNOSTICS} are reported`,
    hint: 'fix the problems shown and build again',
    text: last?.text ?? '',
  });
}

export function pointSpan(line: number, column: number): Span {
  return { line, column, endLine: line, endColumn: column };
}

export function lineSpan(line: number, text: string, fromColumn = 1): Span {
  return { line, column: fromColumn, endLine: line, endColumn: text.length + 1 };
}
