import type { Span, Word } from './ast';

/** Where a piece of the logical line starts in the file. */
export interface Segment {
  offset: number;
  line: number;
  column: number;
}

/**
 * One instruction's text with its line continuations joined (reference: "escape" — the escape character at the
 * end of a line continues it; BuildKit concatenates the pieces without a separator). Every offset into `text`
 * maps back to a file position through `segments`, so words keep exact spans across continuations.
 */
const FIRST: Segment = { offset: 0, line: 1, column: 1 };

export class LogicalLine {
  constructor(
    readonly text: string,
    readonly segments: readonly Segment[],
  ) {}

  /** The last segment starting at or before `offset`: a binary search, words of a long continuation stay O(log n). */
  private segmentAt(offset: number): Segment {
    const { segments } = this;
    let low = 0;
    let high = segments.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((segments[mid] as Segment).offset <= offset) low = mid;
      else high = mid - 1;
    }
    return segments[low] ?? FIRST;
  }

  position(offset: number): { line: number; column: number } {
    const segment = this.segmentAt(offset);
    return { line: segment.line, column: segment.column + (offset - segment.offset) };
  }

  /** The span of text[start, end); an empty range is a point at `start`. */
  span(start: number, end: number): Span {
    const from = this.segmentAt(start);
    const line = from.line;
    const column = from.column + (start - from.offset);
    if (end <= start) return { line, column, endLine: line, endColumn: column };
    const last = this.segmentAt(end - 1);
    return { line, column, endLine: last.line, endColumn: last.column + (end - 1 - last.offset) + 1 };
  }

  word(start: number, end: number): Word {
    return { text: this.text.slice(start, end), span: this.span(start, end) };
  }

  /** The offset of the first non-blank character at or after `from` (text.length when none). */
  skipBlanks(from: number): number {
    let i = from;
    while (i < this.text.length && isBlank(this.text[i] ?? '')) i++;
    return i;
  }

  /** The end of the text without trailing blanks. */
  trimmedEnd(): number {
    let end = this.text.length;
    while (end > 0 && isBlank(this.text[end - 1] ?? '')) end--;
    return end;
  }
}

/** BuildKit's tokenWhitespace: `[\t\v\f\r ]`. */
export function isBlank(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\v' || ch === '\f' || ch === '\r';
}
