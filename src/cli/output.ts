import { stderrLine, terminalLines } from './terminal-text';

/**
 * Everything a command prints goes through here: data on stdout (a table for people, JSON with --format json),
 * progress and notes on stderr, so `kimg … --format json | jq` always gets clean JSON. Every string is made
 * safe for a terminal on the way out (terminal-text.ts): a note or warning is one line, its control characters
 * escaped and its URLs redacted; a result keeps its newlines; JSON stays valid JSON.
 */
export interface Output {
  readonly json: boolean;
  readonly quiet: boolean;
  /** The command's result: JSON when asked, else the human rendering. */
  result(data: unknown, human: () => string): void;
  /** A progress or status line for people; silent with --quiet or --format json. */
  note(line: string): void;
  /** Something the user must see even with --quiet or --format json (on stderr, so JSON stays clean). */
  warn(line: string): void;
  /** A warning of several lines kimg laid out itself (a build diagnostic with its source line and caret). */
  warnBlock(text: string): void;
}

export function createOutput(format: string | undefined, quiet: boolean | undefined): Output {
  const json = format === 'json';
  return {
    json,
    quiet: quiet === true,
    result(data, human) {
      if (json) process.stdout.write(`${terminalLines(JSON.stringify(data, null, 2))}\n`);
      else {
        const text = terminalLines(human());
        if (text.length > 0) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      }
    },
    note(line) {
      if (!json && quiet !== true) process.stderr.write(`${stderrLine(line)}\n`);
    },
    warn(line) {
      process.stderr.write(`${stderrLine(`kimg: warning: ${line}`)}\n`);
    },
    warnBlock(text) {
      process.stderr.write(`kimg: warning: ${terminalLines(text)}\n`);
    },
  };
}

/** Left-aligned columns separated by three spaces, like `docker images`. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('   ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}
