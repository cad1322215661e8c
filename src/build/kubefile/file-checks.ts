import type { FromInstruction, Instruction } from './ast';
import type { SourceText } from './source-text';
import { expand } from './substitution';

/** Build args every build defines (reference: "Automatic platform ARGs in the global scope"). */
export const AUTOMATIC_ARGS: ReadonlySet<string> = new Set([
  'TARGETPLATFORM',
  'TARGETOS',
  'TARGETARCH',
  'TARGETVARIANT',
  'BUILDPLATFORM',
  'BUILDOS',
  'BUILDARCH',
  'BUILDVARIANT',
]);

/** What the lexer saw, whether or not each instruction parsed. */
export interface FileShape {
  instructions: number;
  /** A FROM keyword was seen (even one that failed to parse). */
  from: boolean;
}

/**
 * Whole-file rules, checked after every instruction parsed: the file has instructions; only ARG comes before
 * the first FROM (reference: "FROM": "ARG is the only instruction that may precede FROM"); FROM refers only to
 * global ARGs (BuildKit's UndefinedArgInFrom check); stage names are unique; sealer's LAUNCH / CMDS appear once,
 * not both, and last (sealer kubefile.go).
 */
export function checkFile(
  source: SourceText,
  instructions: readonly Instruction[],
  attempted: FileShape,
): void {
  if (attempted.instructions === 0) {
    source.report(
      'EMPTY_FILE',
      { line: 1, column: 1, endLine: 1, endColumn: 1 },
      'the Kubefile has no instructions',
      'start it with FROM (for example FROM scratch)',
    );
    return;
  }
  // A FROM too broken to parse was reported already; "no FROM" would only add noise.
  if (!attempted.from || instructions.some((i) => i.kind === 'FROM')) checkFromOrder(source, instructions);
  checkStages(source, instructions);
  checkLaunch(source, instructions);
}

function checkFromOrder(source: SourceText, instructions: readonly Instruction[]): void {
  const firstFrom = instructions.findIndex((i) => i.kind === 'FROM');
  if (firstFrom === -1) {
    const first = instructions.find((i) => i.kind !== 'ARG') ?? instructions[0];
    if (first) {
      source.report(
        'NO_FROM',
        first.keywordSpan,
        'the Kubefile has no FROM instruction',
        'add FROM IMAGE (or FROM scratch) before the other instructions',
      );
    }
    return;
  }
  const early = instructions.slice(0, firstFrom).find((i) => i.kind !== 'ARG');
  if (early) {
    source.report(
      'INSTRUCTION_BEFORE_FROM',
      early.keywordSpan,
      `${early.kind} comes before the first FROM`,
      'only ARG may precede the first FROM; move this instruction after it',
    );
  }
  const globals = new Map<string, string>();
  for (const instruction of instructions.slice(0, firstFrom)) {
    if (instruction.kind !== 'ARG') continue;
    for (const pair of instruction.pairs) globals.set(pair.key.text, pair.value?.text ?? '');
  }
  for (const instruction of instructions) {
    if (instruction.kind === 'FROM') checkFromArgs(source, instruction, globals);
  }
}

function checkFromArgs(
  source: SourceText,
  from: FromInstruction,
  globals: ReadonlyMap<string, string>,
): void {
  const platform = from.flags.find((f) => f.name === 'platform');
  const words = [{ text: from.image.text, span: from.image.span }];
  if (platform?.value !== undefined) words.push({ text: platform.value, span: platform.span });
  for (const word of words) {
    for (const name of expand(word.text, globals).unset) {
      if (AUTOMATIC_ARGS.has(name)) continue;
      source.report(
        'UNDECLARED_ARG_IN_FROM',
        word.span,
        `FROM uses $${name}, which is not declared by an ARG before the first FROM`,
        `add ARG ${name}=DEFAULT before the first FROM (ARGs inside a stage are not visible to FROM)`,
        'warning',
      );
    }
  }
}

function checkStages(source: SourceText, instructions: readonly Instruction[]): void {
  const seen = new Set<string>();
  for (const instruction of instructions) {
    if (instruction.kind !== 'FROM' || !instruction.stage) continue;
    const name = instruction.stage.text.toLowerCase();
    if (seen.has(name)) {
      source.report(
        'DUPLICATE_STAGE',
        instruction.stage.span,
        `stage name "${instruction.stage.text}" is used twice`,
        'give every stage a different name',
      );
    }
    seen.add(name);
  }
}

function checkLaunch(source: SourceText, instructions: readonly Instruction[]): void {
  const launches = instructions.filter((i) => i.kind === 'LAUNCH' || i.kind === 'CMDS');
  const mixed = new Set(launches.map((i) => i.kind)).size > 1;
  launches.slice(1).forEach((extra) => {
    source.report(
      'DUPLICATE_LAUNCH',
      extra.keywordSpan,
      mixed ? 'LAUNCH and CMDS are mutually exclusive' : `${extra.kind} is given more than once`,
      'a cluster image has one launch step: one LAUNCH ["app", …] or one CMDS ["command", …]',
    );
  });
  const last = instructions[instructions.length - 1];
  for (const launch of launches) {
    if (launch === last) continue;
    source.report(
      'LAUNCH_NOT_LAST',
      launch.keywordSpan,
      `${launch.kind} must be the last instruction`,
      `move ${launch.kind} to the end of the Kubefile`,
    );
  }
}
