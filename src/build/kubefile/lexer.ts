import type { Heredoc } from './ast';
import { findHeredocMarkers, readHeredocs } from './heredoc';
import { HEREDOC_INSTRUCTIONS } from './instruction-set';
import { isBlank, LogicalLine, type Segment } from './logical-line';
import { DEFAULT_KUBEFILE_LIMITS, formatSize, raiseHint, type KubefileLimits } from './limits';
import { lineSpan, pointSpan, type SourceText } from './source-text';

export interface LexedInstruction {
  line: LogicalLine;
  heredocs: Heredoc[];
  /** 1-based number of the last line the instruction consumed (continuations and heredoc bodies included). */
  endLine: number;
}

export interface LexResult {
  instructions: LexedInstruction[];
  /** Instructions seen, including those refused for their length (a file of them is not "empty"). */
  attempted: number;
  /** A FROM keyword was seen, even on a refused line. */
  from: boolean;
}

const COMMENT = /^[ \t\v\f\r]*#/;
const FROM_KEYWORD = /^from(\s|$)/i;

/**
 * Cuts the lines after the parser directives into instructions (reference: "Format"):
 * - lines whose first non-blank character is `#` are comments; leading blanks before an instruction are ignored;
 * - an escape character followed only by blanks at the end of a line continues the instruction on the next
 *   line; comment lines inside a continuation are dropped, and so are empty ones (BuildKit warns that empty
 *   continuation lines are deprecated — so do we);
 * - RUN, COPY and ADD (also as an ONBUILD trigger) then take the bodies of their here-documents.
 * Every line is looked at once, so the work is linear in the file. An instruction longer than
 * `limits.maxLineLength` is reported and skipped (its lines are read, not joined); past
 * `limits.maxInstructions` the rest of the file is reported and not read.
 */
export function lex(
  source: SourceText,
  firstLine: number,
  escape: string,
  limits: Pick<KubefileLimits, 'maxLineLength' | 'maxInstructions'> = DEFAULT_KUBEFILE_LIMITS,
): LexResult {
  const instructions: LexedInstruction[] = [];
  let attempted = 0;
  let from = false;
  let index = firstLine;
  while (index < source.lineCount) {
    const first = source.line(index + 1);
    if (COMMENT.test(first) || first.trim() === '') {
      index++;
      continue;
    }
    attempted++;
    if (attempted > limits.maxInstructions) {
      source.report(
        'TOO_MANY_INSTRUCTIONS',
        lineSpan(index + 1, first),
        `the Kubefile has more than ${limits.maxInstructions} instructions (the instruction limit); the rest is not read`,
        raiseHint('maxInstructions'),
      );
      break;
    }
    const pieces: string[] = [];
    const segments: Segment[] = [];
    let length = 0;
    let tooLong = false;
    let raw = first;
    let column = 1;
    while (column <= raw.length && isBlank(raw[column - 1] ?? '')) column++;
    raw = raw.slice(column - 1);
    for (;;) {
      const cut = continuationAt(raw, escape);
      const piece = cut === -1 ? raw : raw.slice(0, cut);
      if (!tooLong && length + piece.length > limits.maxLineLength) {
        tooLong = true;
        source.report(
          'LINE_TOO_LONG',
          pointSpan(index + 1, column + Math.max(0, limits.maxLineLength - length)),
          `the instruction is longer than ${formatSize(limits.maxLineLength)} (the line length limit); it is skipped`,
          raiseHint('maxLineLength'),
        );
      }
      if (!tooLong) {
        segments.push({ offset: length, line: index + 1, column });
        pieces.push(piece);
        length += piece.length;
      }
      index++;
      if (cut === -1) break;
      index = skipInsideContinuation(source, index);
      if (index >= source.lineCount) break;
      raw = source.line(index + 1);
      column = 1;
    }
    from ||= FROM_KEYWORD.test((tooLong ? raw : (pieces[0] ?? '')).slice(0, 5));
    if (tooLong) continue;
    const line = new LogicalLine(pieces.join(''), segments);
    const markers = findHeredocMarkers(line, heredocArgsStart(line), escape);
    const { heredocs, next } = readHeredocs(source, line, markers, index);
    instructions.push({ line, heredocs, endLine: next });
    index = next;
  }
  return { instructions, attempted, from };
}

/**
 * Where the continuation escape starts in `raw`, or -1: BuildKit's `\\[ \t]*$` (the escape character followed
 * only by blanks), found from the end of the line instead of by a regexp tried at every escape.
 */
function continuationAt(raw: string, escape: string): number {
  let end = raw.length;
  while (end > 0 && (raw[end - 1] === ' ' || raw[end - 1] === '\t')) end--;
  return end > 0 && raw[end - 1] === escape ? end - 1 : -1;
}

/** Skips comment and empty lines inside a continuation (empty ones are reported); returns the next line's index. */
function skipInsideContinuation(source: SourceText, from: number): number {
  let index = from;
  while (index < source.lineCount) {
    const next = source.line(index + 1);
    if (COMMENT.test(next)) {
      index++;
    } else if (next.trim() === '') {
      source.report(
        'EMPTY_CONTINUATION',
        lineSpan(index + 1, next),
        'empty continuation line',
        'remove the empty line (or make it a comment): empty continuation lines are deprecated and will be errors',
        'warning',
      );
      index++;
    } else {
      break;
    }
  }
  return index;
}

/** Where to look for heredoc markers: after `RUN`/`COPY`/`ADD` (or `ONBUILD RUN`…); the text end if none. */
function heredocArgsStart(line: LogicalLine): number {
  const match = /^([^ \t\v\f\r]+)(?:[ \t\v\f\r]+([^ \t\v\f\r]+))?/.exec(line.text);
  const keyword = (match?.[1] ?? '').toUpperCase();
  if (HEREDOC_INSTRUCTIONS.has(keyword)) return keyword.length;
  const trigger = match?.[2];
  if (keyword === 'ONBUILD' && trigger && HEREDOC_INSTRUCTIONS.has(trigger.toUpperCase())) {
    return (match?.[0] ?? '').length;
  }
  return line.text.length;
}
