import type { Diagnostic } from './diagnostic';

/**
 * `Kubefile:3:1: error: unknown instruction "COPPY" (did you mean "COPY"?)`, then the source line with a caret
 * under the offending text, then the hint — the shape compilers (gcc, rustc, tsc) made familiar.
 */
export function formatDiagnostic(d: Diagnostic): string {
  const gutter = String(d.line);
  const pad = ' '.repeat(gutter.length);
  const { text, column } = excerpt(d.text, d.column);
  // Keep tabs in the padding so the caret lines up under tab-indented text.
  const before = text.slice(0, column - 1).replace(/[^\t]/g, ' ');
  const width = Math.min(Math.max(1, (d.endColumn ?? d.column + 1) - d.column), text.length - column + 2);
  return [
    `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}`,
    ` ${gutter} | ${text}`,
    ` ${pad} | ${before}^${'~'.repeat(width - 1)}`,
    ` ${pad} = hint: ${d.hint}`,
  ].join('\n');
}

/** Lines longer than this are shown as a window around the column (a 1 MiB line is not echoed whole). */
const SHOWN = 160;

function excerpt(text: string, column: number): { text: string; column: number } {
  if (text.length <= SHOWN) return { text, column };
  const start = Math.max(0, Math.min(column - 1 - SHOWN / 4, text.length - SHOWN));
  const head = start > 0 ? '…' : '';
  const tail = start + SHOWN < text.length ? '…' : '';
  return { text: `${head}${text.slice(start, start + SHOWN)}${tail}`, column: column - start + head.length };
}
