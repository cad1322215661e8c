import type { CommandForm, Word } from './ast';
import type { InstructionInput } from './instruction-input';
import { parseJsonArray } from './json-form';
import { splitWords, type WordRange } from './words';

/** The quote-aware word ranges of the arguments (an unterminated quote is an error: nothing could expand it). */
export function argumentRanges(input: InstructionInput, from = input.args): WordRange[] {
  const { line } = input;
  const split = splitWords(line.text, from, line.text.length, input.escape);
  if (split.unterminatedQuote !== undefined) {
    const at = split.unterminatedQuote;
    input.source.report(
      'UNTERMINATED_QUOTE',
      line.span(at, at + 1),
      `unterminated quote ${line.text[at] ?? ''} in ${input.kind}`,
      'close the quote, or escape it with the escape character to mean it literally',
    );
  }
  return split.words;
}

export function argumentWords(input: InstructionInput, from = input.args): Word[] {
  return argumentRanges(input, from).map(({ start, end }) => input.line.word(start, end));
}

/** The arguments as one word, trailing blanks dropped; undefined when there are none. */
export function restWord(input: InstructionInput, from = input.args): Word | undefined {
  const end = input.line.trimmedEnd();
  return from < end ? input.line.word(from, end) : undefined;
}

export function reportMissing(input: InstructionInput, what: string, example: string): void {
  const end = input.line.trimmedEnd();
  input.source.report(
    'MISSING_ARGUMENT',
    input.line.span(end, end),
    `${input.kind} requires ${what}`,
    `write it like: ${example}`,
  );
}

/**
 * The JSON form when the arguments are a valid JSON array of strings. Text that starts with `[` but is not valid
 * JSON is, as in Docker, shell form — reported as a warning (BuildKit's JSONArgsRecommended spirit) when it ends
 * with `]`, or as an error when `required` (SHELL, LAUNCH, CMDS: there is no shell form to fall back to).
 */
export function jsonArguments(input: InstructionInput, required = false): Word[] | undefined {
  const { line } = input;
  const end = line.trimmedEnd();
  if (line.text[input.args] !== '[') {
    if (required) {
      input.source.report(
        'INVALID_JSON',
        line.span(input.args, end),
        `${input.kind} requires the JSON form`,
        `write it like: ${input.kind} ["first", "second"]`,
      );
    }
    return undefined;
  }
  const parsed = parseJsonArray(line.text, input.args, end);
  if (parsed.ok)
    return parsed.items.map((item) => ({ text: item.value, span: line.span(item.start, item.end) }));
  if (required || line.text[end - 1] === ']') {
    const at = Math.min(parsed.offset, Math.max(end - 1, input.args));
    input.source.report(
      'INVALID_JSON',
      line.span(at, at + 1),
      `invalid JSON form: ${parsed.message}${required ? '' : ' (the arguments are used as shell form)'}`,
      'the JSON form is an array of "double-quoted" strings, e.g. ["kubectl", "apply", "-f", "manifests/"]',
      required ? 'error' : 'warning',
    );
  }
  return undefined;
}

/** RUN, CMD, ENTRYPOINT, HEALTHCHECK CMD: exec form if valid JSON, else the shell form text. */
export function commandForm(input: InstructionInput, from = input.args): CommandForm | undefined {
  const { line } = input;
  const end = line.trimmedEnd();
  if (from >= end) return undefined;
  const exec = jsonArguments({ ...input, args: from });
  if (exec) return { form: 'exec', args: exec, span: line.span(from, end) };
  return { form: 'shell', command: line.word(from, end) };
}
