import type { ParserDirective } from './ast';
import { lineSpan, type SourceText } from './source-text';

/** The directives BuildKit knows (reference: "Parser directives": syntax, escape, check). */
const KNOWN_DIRECTIVES = new Set(['syntax', 'escape', 'check']);
// The value's trailing blanks are trimmed by hand: `(.*?)[ \t]*$` retries the blank run at every character,
// quadratic on a long line of blanks.
const DIRECTIVE_PATTERN = /^#[ \t]*([A-Za-z][A-Za-z0-9_-]*)[ \t]*=[ \t]*(.*)$/;
export const DEFAULT_ESCAPE = '\\';

export interface DirectiveScan {
  directives: ParserDirective[];
  escape: string;
  /** Index (0-based) of the first line after the directives. */
  nextLine: number;
}

/**
 * Reads parser directives from the top of the file. The reference: directives must come first; once a comment,
 * empty line or instruction is seen, later `# x=y` lines are plain comments; an unrecognized directive is a
 * comment too and ends the directive block; a directive may appear only once; continuations are not supported.
 * `syntax` and `check` are kept (recorded, not acted on); `escape` must be `\` or `` ` ``.
 */
export function scanDirectives(source: SourceText): DirectiveScan {
  const directives: ParserDirective[] = [];
  let escape = DEFAULT_ESCAPE;
  let index = 0;
  for (; index < source.lineCount; index++) {
    const text = source.line(index + 1);
    const match = DIRECTIVE_PATTERN.exec(text);
    if (!match) break;
    const name = (match[1] ?? '').toLowerCase();
    const value = trimBlanksEnd(match[2] ?? '');
    const span = lineSpan(index + 1, text);
    if (!KNOWN_DIRECTIVES.has(name)) {
      // Still a comment for Docker; a typo such as `# escpae=`` would silently change nothing, so say so.
      source.report(
        'UNKNOWN_DIRECTIVE',
        span,
        `unknown parser directive "${name}" is treated as a comment`,
        'the known directives are syntax, escape and check; remove the line or fix the name',
        'warning',
      );
      break;
    }
    if (directives.some((d) => d.name === name)) {
      source.report(
        'DUPLICATE_DIRECTIVE',
        span,
        `the "${name}" parser directive appears twice`,
        'a directive may be given only once; keep one',
      );
      continue;
    }
    if (name === 'escape') {
      if (value === '\\' || value === '`') {
        escape = value;
      } else {
        source.report(
          'INVALID_ESCAPE',
          span,
          `invalid escape character "${value}"`,
          'the escape directive accepts only \\ (the default) or ` (backtick)',
        );
      }
    }
    directives.push({ name, value, span });
  }
  return { directives, escape, nextLine: index };
}

function trimBlanksEnd(text: string): string {
  let end = text.length;
  while (end > 0 && (text[end - 1] === ' ' || text[end - 1] === '\t')) end--;
  return text.slice(0, end);
}
