import type { KeyValue, KeyValueInstruction } from '../ast';
import { argumentRanges, reportMissing, restWord } from '../arguments';
import type { WordRange } from '../words';
import type { InstructionInput } from '../instruction-input';

/**
 * `ENV k=v …` / `LABEL k=v …`, and the legacy `ENV k v` (one pair, the value is the rest of the line) that the
 * reference still accepts but deprecates (reference: "ENV", "LABEL"; BuildKit parseNameVal).
 */
export function parseEnvOrLabel(input: InstructionInput): KeyValueInstruction | undefined {
  const kind = input.kind === 'LABEL' ? 'LABEL' : 'ENV';
  const ranges = argumentRanges(input);
  const [first, second] = ranges;
  if (!first) {
    reportMissing(input, 'at least one key=value pair', `${kind} key=value`);
    return undefined;
  }
  const key = input.line.word(first.start, first.end);
  if (!key.text.includes('=')) {
    const value = second ? restWord(input, second.start) : undefined;
    if (!value) {
      reportMissing(input, `a value for "${key.text}"`, `${kind} ${key.text}=value`);
      return undefined;
    }
    input.source.report(
      'LEGACY_KEY_VALUE',
      key.span,
      `legacy "${kind} key value" form`,
      `write ${kind} ${key.text}=… (the legacy form is deprecated and ambiguous with several words)`,
      'warning',
    );
    const span = input.line.span(first.start, input.line.trimmedEnd());
    return { ...input.base, kind, pairs: [{ key, value, span }], legacy: true };
  }
  const pairs = keyValuePairs(input, ranges, true);
  return pairs.length > 0 ? { ...input.base, kind, pairs, legacy: false } : undefined;
}

/** `ARG name[=default] …` (reference: "ARG"): a name alone declares the argument without a default. */
export function parseArg(input: InstructionInput): KeyValueInstruction | undefined {
  const ranges = argumentRanges(input);
  if (ranges.length === 0) {
    reportMissing(input, 'a name', 'ARG VERSION=1.0');
    return undefined;
  }
  const pairs = keyValuePairs(input, ranges, false);
  return pairs.length > 0 ? { ...input.base, kind: 'ARG', pairs, legacy: false } : undefined;
}

/** Splits each word at its first `=`; reports words without one (when required) and empty keys. */
export function keyValuePairs(
  input: InstructionInput,
  ranges: readonly WordRange[],
  requireValue: boolean,
): KeyValue[] {
  const { line } = input;
  const pairs: KeyValue[] = [];
  for (const { start, end } of ranges) {
    const word = line.word(start, end);
    const eq = word.text.indexOf('=');
    if (eq === -1 && requireValue) {
      input.source.report(
        'INVALID_ARGUMENT',
        word.span,
        `"${word.text}" is not of the form key=value`,
        `write ${word.text}=VALUE (quote values that contain blanks)`,
      );
      continue;
    }
    if (eq === 0) {
      input.source.report('INVALID_ARGUMENT', word.span, `empty name in "${word.text}"`, 'write NAME=VALUE');
      continue;
    }
    if (eq === -1) {
      pairs.push({ key: word, span: word.span });
      continue;
    }
    const key = line.word(start, start + eq);
    pairs.push({ key, value: line.word(start + eq + 1, end), span: word.span });
  }
  return pairs;
}
