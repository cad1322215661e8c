import type { Flag, Word } from '../kubefile/ast';
import { expand } from '../kubefile/substitution';
import type { PlanReporter } from './plan-diagnostic';
import type { Scope } from './scope';
import type { PlannedStep, Position, RunSpec } from './types';

/** A stage while it is planned: its variables, working directory and steps so far. */
export interface StageState {
  index: number;
  name?: string;
  scope: Scope;
  workdir: string;
  steps: PlannedStep[];
  /** Earlier stages this one reads (FROM stage, COPY --from). */
  deps: Set<number>;
}

/** What instruction planners share: expansion with diagnostics, the stages seen so far, the build's options. */
export class PlanContext {
  readonly stageNames = new Map<string, number>();

  constructor(
    readonly file: string,
    readonly reporter: PlanReporter,
    readonly escape: string,
    readonly architecture: string,
    readonly network: RunSpec['network'],
  ) {}

  position(span: { line: number; column: number }): Position {
    return { file: this.file, line: span.line, column: span.column };
  }

  /** `expand()` with the variables in force; a malformed word is reported and expands to ''. */
  expand(word: Word, variables: ReadonlyMap<string, string>): string {
    const result = expand(word.text, variables, { escape: this.escape });
    if (result.error) {
      this.reporter.error(
        'INVALID_SUBSTITUTION',
        word.span,
        `cannot expand "${word.text}": ${result.error.message}`,
        'write $NAME, ${NAME}, ${NAME:-default} or ${NAME:+word}; escape a literal $ as \\$',
      );
    }
    return result.value;
  }

  flag(flags: readonly Flag[], name: string): Flag | undefined {
    return flags.find((flag) => flag.name === name);
  }

  flagValue(
    flags: readonly Flag[],
    name: string,
    variables: ReadonlyMap<string, string>,
  ): string | undefined {
    const flag = this.flag(flags, name);
    if (flag?.value === undefined) return undefined;
    return this.expand({ text: flag.value, span: flag.span }, variables);
  }
}
