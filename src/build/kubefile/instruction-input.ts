import type { Flag, Heredoc, InstructionBase, InstructionKind, Word } from './ast';
import type { LogicalLine } from './logical-line';
import type { SourceText } from './source-text';

/** What every instruction parser receives: the instruction's logical line, where its arguments start, … */
export interface InstructionInput {
  source: SourceText;
  escape: string;
  line: LogicalLine;
  kind: InstructionKind;
  keyword: Word;
  /** Offset in `line.text` of the first argument (after the keyword and the flags). */
  args: number;
  flags: Flag[];
  heredocs: Heredoc[];
  /** The fields every node shares, ready to spread into the node. */
  base: InstructionBase;
  /** ONBUILD trigger: FROM, MAINTAINER and ONBUILD are refused there. */
  nested: boolean;
}
