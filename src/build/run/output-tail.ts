/** How much of a failed command's output an error quotes: the last lines, as `docker build` shows them. */
export const OUTPUT_TAIL_LINES = 20;
/** Lines are cut at this length so one enormous line cannot fill the message. */
export const OUTPUT_LINE_MAX_CHARS = 1000;

/** Keeps the last lines of a stream of output chunks (stdout and stderr interleaved as they arrived). */
export class OutputTail {
  private lines: string[] = [];
  private partial = '';

  constructor(private readonly keep = OUTPUT_TAIL_LINES) {}

  push(chunk: Buffer | string): void {
    const parts = (this.partial + chunk.toString()).split('\n');
    this.partial = cut(parts.pop() ?? '');
    for (const line of parts) this.lines.push(cut(line.replace(/\r$/, '')));
    if (this.lines.length > this.keep) this.lines = this.lines.slice(-this.keep);
  }

  /** The kept lines, the unterminated last one included. */
  text(): string {
    const all = this.partial === '' ? this.lines : [...this.lines, this.partial];
    return all.slice(-this.keep).join('\n');
  }
}

function cut(line: string): string {
  // A line is kept only while it is the partial one: cut it already, so a stream without newlines stays bounded.
  return line.length > OUTPUT_LINE_MAX_CHARS ? `${line.slice(0, OUTPUT_LINE_MAX_CHARS)}…` : line;
}
