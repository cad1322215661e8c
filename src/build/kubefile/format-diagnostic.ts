import type { Diagnostic } from './diagnostic';

/**
 * `Kubefile:3:1: error: unknown instruction "COPPY" (did you mean "COPY"?)`, then the source line with a caret
 * under the offending text, then the hint — the shape compilers (gcc, rustc, tsc) made familiar.
 */
export function formatDiagnostic(d: Diagnostic): string {
  const gutter = String(d.line);
  const pad = ' '.repeat(gutter.length);
  // Keep tabs in the padding so the caret lines up under tab-indented text.
  const before = d.text.slice(0, d.column - 1).replace(/[^\t]/g, ' ');
  const width = Math.max(1, (d.endColumn ?? d.column + 1) - d.column);
  return [
    `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}`,
    ` ${gutter} | ${d.text}`,
    ` ${pad} | ${before}^${'~'.repeat(width - 1)}`,
    ` ${pad} = hint: ${d.hint}`,
  ].join('\n');
}
