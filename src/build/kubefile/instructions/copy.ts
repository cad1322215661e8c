import type { CopyInstruction, CopySource, Heredoc, Word } from '../ast';
import { argumentWords, jsonArguments, reportMissing } from '../arguments';
import type { InstructionInput } from '../instruction-input';

/**
 * `COPY|ADD [flags] src… dest`, `COPY ["src", …, "dest"]`, `COPY <<EOF dest` (reference: "COPY", "ADD",
 * "Here-documents"). A source that is a heredoc marker becomes a file with the heredoc's content.
 */
export function parseCopy(input: InstructionInput): CopyInstruction | undefined {
  const json = jsonArguments(input);
  const words = json ?? argumentWords(input);
  const dest = words[words.length - 1];
  if (!dest || words.length < 2) {
    reportMissing(input, 'at least one source and a destination', `${input.kind} manifests/ ./manifests/`);
    return undefined;
  }
  const kind = input.kind === 'ADD' ? 'ADD' : 'COPY';
  // Heredoc markers by position: one lookup per source, not a scan of every marker for each.
  const markers = new Map(input.heredocs.map((h) => [spanKey(h.span), h]));
  const sources = words.slice(0, -1).map((word) => copySource(word, markers, json !== undefined));
  return { ...input.base, kind, sources, dest, json: json !== undefined, heredocs: input.heredocs };
}

function copySource(word: Word, markers: ReadonlyMap<string, Heredoc>, json: boolean): CopySource {
  const heredoc = json ? undefined : markers.get(spanKey(word.span));
  return heredoc ? { kind: 'heredoc', word, heredoc } : { kind: 'path', word };
}

function spanKey(span: Word['span']): string {
  return `${span.line}:${span.column}:${span.endColumn}`;
}
