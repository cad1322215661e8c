import type { Heredoc, Span } from './ast';
import type { LogicalLine } from './logical-line';
import { lineSpan, pointSpan, type SourceText } from './source-text';
import { splitWords } from './words';

/**
 * `<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'` as a whole word (reference: "Here-documents"; BuildKit
 * parser_heredoc). A marker inside quotes (`RUN "<<NOT"`) or in JSON form is not a heredoc.
 */
const MARKER = /^<<(-?)(?:"([^"]+)"|'([^']+)'|([A-Za-z0-9_][A-Za-z0-9_.-]*))$/;

export interface HeredocMarker {
  name: string;
  chomp: boolean;
  quoted: boolean;
  start: number;
  end: number;
}

export function findHeredocMarkers(line: LogicalLine, from: number, escape: string): HeredocMarker[] {
  const markers: HeredocMarker[] = [];
  for (const { start, end } of splitWords(line.text, from, line.text.length, escape).words) {
    const match = MARKER.exec(line.text.slice(start, end));
    if (!match) continue;
    const quotedName = match[2] ?? match[3];
    markers.push({
      name: quotedName ?? match[4] ?? '',
      chomp: match[1] === '-',
      quoted: quotedName !== undefined,
      start,
      end,
    });
  }
  return markers;
}

/**
 * Reads the bodies of `markers`, in order, from the lines after the instruction (index `next`, 0-based): each
 * body runs to a line that is exactly its delimiter (after leading tabs are stripped for `<<-`). Returns the
 * heredocs and the index of the first line after the last body. An unterminated body takes the rest of the file
 * and is reported.
 */
export function readHeredocs(
  source: SourceText,
  line: LogicalLine,
  markers: readonly HeredocMarker[],
  next: number,
): { heredocs: Heredoc[]; next: number } {
  const heredocs: Heredoc[] = [];
  let index = next;
  for (const marker of markers) {
    const body: string[] = [];
    const first = index;
    let terminated = false;
    for (; index < source.lineCount; index++) {
      const raw = source.line(index + 1);
      const text = marker.chomp ? raw.replace(/^\t+/, '') : raw;
      if (text === marker.name) {
        terminated = true;
        index++;
        break;
      }
      body.push(text);
    }
    const span = line.span(marker.start, marker.end);
    const bodySpan = bodyRange(source, first, index);
    if (!terminated) {
      source.report(
        'UNTERMINATED_HEREDOC',
        span,
        `heredoc "${marker.name}" is never terminated`,
        `end the here-document with a line containing only ${marker.name}`,
      );
    }
    heredocs.push({
      name: marker.name,
      chomp: marker.chomp,
      quoted: marker.quoted,
      content: body.map((text) => text + '\n').join(''),
      span,
      bodySpan,
    });
  }
  return { heredocs, next: index };
}

function bodyRange(source: SourceText, first: number, next: number): Span {
  if (next <= first) {
    const line = Math.min(first + 1, source.lineCount);
    return pointSpan(line, source.line(line).length + 1);
  }
  const end = lineSpan(next, source.line(next));
  return { line: first + 1, column: 1, endLine: end.line, endColumn: end.endColumn };
}
