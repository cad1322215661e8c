import type { FromInstruction } from '../ast';
import { argumentWords, reportMissing } from '../arguments';
import type { InstructionInput } from '../instruction-input';

/** BuildKit's stage-name rule (instructions/parse.go): a letter, then letters, digits, `-`, `_`, `.`. */
const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/i;

/** `FROM [--platform=P] image [AS name]` (reference: "FROM"). */
export function parseFrom(input: InstructionInput): FromInstruction | undefined {
  const words = argumentWords(input);
  const [image, as, stage, ...extra] = words;
  if (!image) {
    reportMissing(input, 'an image', 'FROM alpine:3.20 AS base');
    return undefined;
  }
  const node: FromInstruction = { ...input.base, kind: 'FROM', image };
  if (!as) return node;
  if (as.text.toUpperCase() !== 'AS') {
    input.source.report(
      'INVALID_ARGUMENT',
      as.span,
      `FROM expects "AS name" after the image, found "${as.text}"`,
      'write FROM IMAGE or FROM IMAGE AS NAME',
    );
    return node;
  }
  if (!stage) {
    input.source.report(
      'MISSING_ARGUMENT',
      { ...as.span, column: as.span.endColumn },
      'FROM … AS requires a stage name',
      'write FROM IMAGE AS NAME',
    );
    return node;
  }
  if (!STAGE_NAME.test(stage.text)) {
    input.source.report(
      'INVALID_STAGE_NAME',
      stage.span,
      `invalid stage name "${stage.text}"`,
      'a stage name starts with a letter and holds only letters, digits, "-", "_" and "."',
    );
  }
  for (const word of extra) {
    input.source.report(
      'EXTRA_ARGUMENT',
      word.span,
      `unexpected "${word.text}" after the stage name`,
      'remove it',
    );
  }
  return { ...node, stage };
}
