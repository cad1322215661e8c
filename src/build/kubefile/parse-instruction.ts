import type { Heredoc, Instruction, InstructionKind, OnbuildInstruction, Span } from './ast';
import { reportMissing } from './arguments';
import { checkFlags, extractFlags } from './flags';
import type { InstructionInput } from './instruction-input';
import { instructionKind, INSTRUCTIONS } from './instruction-set';
import { parseApp, parseAppCmds, parseAppEnv } from './instructions/cluster';
import { parseCommand, parseHealthcheck, parseRun, parseShell } from './instructions/command';
import { parseCopy } from './instructions/copy';
import { parseFrom } from './instructions/from';
import { parseArg, parseEnvOrLabel } from './instructions/key-value';
import { parseList } from './instructions/list';
import { parseValue } from './instructions/value';
import { isBlank, type LogicalLine } from './logical-line';
import type { SourceText } from './source-text';
import { suggest } from './suggest';

type Parser = (input: InstructionInput) => Instruction | undefined;

const PARSERS: Record<InstructionKind, Parser> = {
  FROM: parseFrom,
  COPY: parseCopy,
  ADD: parseCopy,
  RUN: parseRun,
  CMD: parseCommand,
  ENTRYPOINT: parseCommand,
  SHELL: parseShell,
  HEALTHCHECK: parseHealthcheck,
  ENV: parseEnvOrLabel,
  LABEL: parseEnvOrLabel,
  ARG: parseArg,
  WORKDIR: parseValue,
  USER: parseValue,
  STOPSIGNAL: parseValue,
  MAINTAINER: parseValue,
  KUBEVERSION: parseValue,
  EXPOSE: parseList,
  VOLUME: parseList,
  LAUNCH: parseList,
  CMDS: parseList,
  ONBUILD: parseOnbuild,
  APP: parseApp,
  CNI: parseApp,
  CSI: parseApp,
  APPCMDS: parseAppCmds,
  APPENV: parseAppEnv,
};

/** Triggers the reference forbids: "Chaining ONBUILD instructions using ONBUILD ONBUILD isn't allowed", FROM, MAINTAINER. */
const NOT_TRIGGERS = new Set<InstructionKind>(['ONBUILD', 'FROM', 'MAINTAINER']);

/**
 * Parses the instruction whose keyword starts at `start` in `line`. Problems are reported to `source`; the
 * result is undefined when the instruction is too broken to describe (the parse goes on with the next one).
 */
export function parseInstruction(
  source: SourceText,
  escape: string,
  line: LogicalLine,
  heredocs: Heredoc[],
  start: number,
  nested = false,
): Instruction | undefined {
  let keywordEnd = start;
  while (keywordEnd < line.text.length && !isBlank(line.text[keywordEnd] ?? '')) keywordEnd++;
  const keyword = line.word(start, keywordEnd);
  const kind = instructionKind(keyword.text);
  if (!kind) {
    reportUnknown(source, keyword.text, keyword.span);
    return undefined;
  }
  if (nested && NOT_TRIGGERS.has(kind)) {
    source.report(
      'INVALID_ONBUILD',
      keyword.span,
      `${kind} is not allowed as an ONBUILD trigger`,
      'ONBUILD takes any instruction except FROM, MAINTAINER and ONBUILD',
    );
    return undefined;
  }
  const afterKeyword = line.skipBlanks(keywordEnd);
  const { flags, next } =
    kind === 'ONBUILD' ? { flags: [], next: afterKeyword } : extractFlags(line, afterKeyword, escape);
  checkFlags(kind, flags, source);
  const end = line.trimmedEnd();
  const span = line.span(start, Math.max(end, keywordEnd));
  const last = heredocs[heredocs.length - 1];
  if (last) Object.assign(span, { endLine: last.bodySpan.endLine, endColumn: last.bodySpan.endColumn });
  const base = {
    keyword: keyword.text,
    keywordSpan: keyword.span,
    span,
    flags,
    original: line.text.slice(start, end),
  };
  return PARSERS[kind]({ source, escape, line, kind, keyword, args: next, flags, heredocs, base, nested });
}

/** `ONBUILD INSTRUCTION …` (reference: "ONBUILD"): the trigger is parsed now, run by the child build. */
function parseOnbuild(input: InstructionInput): OnbuildInstruction | undefined {
  if (input.args >= input.line.trimmedEnd()) {
    reportMissing(input, 'an instruction', 'ONBUILD COPY . /app');
    return undefined;
  }
  const { source, escape, line, heredocs, args } = input;
  const instruction = parseInstruction(source, escape, line, heredocs, args, true);
  return instruction ? { ...input.base, kind: 'ONBUILD', instruction } : undefined;
}

function reportUnknown(source: SourceText, word: string, span: Span): void {
  const guess = suggest(word, INSTRUCTIONS);
  const looksLikeArguments = !/^[A-Za-z]+$/.test(word);
  source.report(
    'UNKNOWN_INSTRUCTION',
    span,
    `unknown instruction "${word}"${guess ? ` (did you mean "${guess}"?)` : ''}`,
    guess
      ? `write ${guess}`
      : looksLikeArguments
        ? 'if this line continues the previous instruction, end the previous line with the escape character'
        : `instructions are ${INSTRUCTIONS.join(', ')}`,
  );
}
