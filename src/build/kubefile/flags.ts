import type { Flag, InstructionKind } from './ast';
import { FLAGS } from './instruction-set';
import type { LogicalLine } from './logical-line';
import type { SourceText } from './source-text';
import { splitWords } from './words';

/**
 * Takes the leading `--name[=value]` words after the keyword (BuildKit splitCommand / extractBuilderFlags):
 * flags stop at the first word that does not start with `--`; a bare `--` ends them and is dropped.
 * Returns the flags and the offset where the arguments start.
 */
export function extractFlags(
  line: LogicalLine,
  from: number,
  escape: string,
): { flags: Flag[]; next: number } {
  const flags: Flag[] = [];
  const { words } = splitWords(line.text, from, line.text.length, escape);
  for (const { start, end } of words) {
    const text = line.text.slice(start, end);
    if (!text.startsWith('--')) return { flags, next: start };
    if (text === '--') return { flags, next: line.skipBlanks(end) };
    const eq = text.indexOf('=');
    const name = eq === -1 ? text.slice(2) : text.slice(2, eq);
    flags.push({ name, ...(eq !== -1 && { value: text.slice(eq + 1) }), span: line.span(start, end) });
  }
  return { flags, next: line.text.length };
}

/** Reports flags the instruction does not take, missing or invalid values, and repeats. */
export function checkFlags(kind: InstructionKind, flags: readonly Flag[], source: SourceText): void {
  const allowed = FLAGS[kind] ?? {};
  const seen = new Set<string>();
  const names = Object.keys(allowed);
  for (const flag of flags) {
    const type = Object.prototype.hasOwnProperty.call(allowed, flag.name) ? allowed[flag.name] : undefined;
    if (type === undefined) {
      source.report(
        'UNKNOWN_FLAG',
        flag.span,
        `unknown flag --${flag.name} for ${kind}`,
        names.length === 0
          ? `${kind} takes no flags`
          : `${kind} accepts ${names.map((n) => `--${n}`).join(', ')}`,
      );
      continue;
    }
    if (type === 'bool' && flag.value !== undefined && !/^(true|false)$/i.test(flag.value)) {
      source.report(
        'INVALID_FLAG',
        flag.span,
        `--${flag.name} expects true or false, not "${flag.value}"`,
        `write --${flag.name} or --${flag.name}=false`,
      );
    } else if (type !== 'bool' && (flag.value === undefined || flag.value === '')) {
      source.report('INVALID_FLAG', flag.span, `--${flag.name} needs a value`, `write --${flag.name}=VALUE`);
    }
    if (type !== 'repeat' && seen.has(flag.name)) {
      source.report(
        'DUPLICATE_FLAG',
        flag.span,
        `--${flag.name} is given more than once`,
        'keep one; only the last would count',
      );
    }
    seen.add(flag.name);
  }
}
