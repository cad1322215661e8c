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
  const sources = words.slice(0, -1).map((word) => copySource(word, input.heredocs, json !== undefined));
  return { ...input.base, kind, sources, dest, json: json !== undefined, heredocs: input.heredocs };
}

function copySource(word: Word, heredocs: readonly Heredoc[], json: boolean): CopySource {
  const heredoc = json ? undefined : heredocs.find((h) => sameSpan(h.span, word.span));
  return heredoc ? { kind: 'heredoc', word, heredoc } : { kind: 'path', word };
}

function sameSpan(a: Word['span'], b: Word['span']): boolean {
  return a.line === b.line && a.column === b.column && a.endColumn === b.endColumn;
}
