import type { Heredoc } from './ast';
import { findHeredocMarkers, readHeredocs } from './heredoc';
import { HEREDOC_INSTRUCTIONS } from './instruction-set';
import { isBlank, LogicalLine, type Segment } from './logical-line';
import { lineSpan, type SourceText } from './source-text';

export interface LexedInstruction {
  line: LogicalLine;
  heredocs: Heredoc[];
  /** 1-based number of the last line the instruction consumed (continuations and heredoc bodies included). */
  endLine: number;
}

const COMMENT = /^[ \t\v\f\r]*#/;

/**
 * Cuts the lines after the parser directives into instructions (reference: "Format"):
 * - lines whose first non-blank character is `#` are comments; leading blanks before an instruction are ignored;
 * - an escape character followed only by blanks at the end of a line continues the instruction on the next
 *   line; comment lines inside a continuation are dropped, and so are empty ones (BuildKit warns that empty
 *   continuation lines are deprecated — so do we);
 * - RUN, COPY and ADD (also as an ONBUILD trigger) then take the bodies of their here-documents.
 */
export function lex(source: SourceText, firstLine: number, escape: string): LexedInstruction[] {
  const result: LexedInstruction[] = [];
  const continuation = new RegExp(`${escapeRegExp(escape)}[ \\t]*$`);
  let index = firstLine;
  while (index < source.lines.length) {
    const first = source.lines[index] ?? '';
    if (COMMENT.test(first) || first.trim() === '') {
      index++;
      continue;
    }
    let text = '';
    const segments: Segment[] = [];
    let raw = first;
    let column = 1;
    while (column <= raw.length && isBlank(raw[column - 1] ?? '')) column++;
    raw = raw.slice(column - 1);
    for (;;) {
      const match = continuation.exec(raw);
      segments.push({ offset: text.length, line: index + 1, column });
      text += match ? raw.slice(0, match.index) : raw;
      index++;
      if (!match) break;
      // Skip comment and empty lines inside the continuation; stop at the end of the file.
      while (index < source.lines.length) {
        const next = source.lines[index] ?? '';
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
      if (index >= source.lines.length) break;
      raw = source.lines[index] ?? '';
      column = 1;
    }
    const line = new LogicalLine(text, segments);
    const markers = findHeredocMarkers(line, heredocArgsStart(line), escape);
    const { heredocs, next } = readHeredocs(source, line, markers, index);
    result.push({ line, heredocs, endLine: next });
    index = next;
  }
  return result;
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

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
