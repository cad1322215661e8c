import type { Heredoc, Instruction, KubefileAst } from './ast';
import type { Diagnostic } from './diagnostic';
import { scanDirectives } from './directives';
import { checkFile } from './file-checks';
import { lex } from './lexer';
import { DEFAULT_KUBEFILE_LIMITS, raiseHint, type KubefileLimits } from './limits';
import type { LogicalLine } from './logical-line';
import { parseInstruction } from './parse-instruction';
import { reportDropped, SourceText } from './source-text';
import { tooDeepSubstitution } from './depth-check';

export interface ParseResult {
  ast: KubefileAst;
  /** Every problem in the file, in source order; the AST holds every instruction that could be read. */
  diagnostics: Diagnostic[];
}

/**
 * Kubefile text → AST + diagnostics. Pure and total: it never throws, never reads a file; a broken instruction
 * is reported and skipped and the parse resumes at the next one, so one run reports all problems. Linear in the
 * text; `limits` bound the line length, the instructions and the substitution nesting (limits.ts).
 */
export function parseKubefile(
  text: string,
  file = 'Kubefile',
  limits: Partial<KubefileLimits> = {},
): ParseResult {
  const bounds = { ...DEFAULT_KUBEFILE_LIMITS, ...limits };
  const source = new SourceText(file, text);
  const { directives, escape, nextLine } = scanDirectives(source);
  const instructions: Instruction[] = [];
  const lexed = lex(source, nextLine, escape, bounds);
  for (const { line, heredocs } of lexed.instructions) {
    if (!checkSubstitutionDepth(source, line, heredocs, escape, bounds.maxSubstitutionDepth)) continue;
    const instruction = parseInstruction(source, escape, line, heredocs, 0);
    if (instruction) instructions.push(instruction);
  }
  checkFile(source, instructions, { instructions: lexed.attempted, from: lexed.from });
  reportDropped(source);
  const diagnostics = [...source.diagnostics].sort((a, b) => a.line - b.line || a.column - b.column);
  return { ast: { file, directives, escape, instructions }, diagnostics };
}

/** Refuses (reports, returns false) an instruction whose `${…}` nest deeper than the limit. */
function checkSubstitutionDepth(
  source: SourceText,
  line: LogicalLine,
  heredocs: readonly Heredoc[],
  escape: string,
  maxDepth: number,
): boolean {
  const message = `\${…} nested more than ${maxDepth} levels deep (the substitution depth limit)`;
  const at = tooDeepSubstitution(line.text, 0, escape, maxDepth);
  if (at !== -1) {
    source.report('SUBSTITUTION_TOO_DEEP', line.span(at, at + 2), message, raiseHint('maxSubstitutionDepth'));
    return false;
  }
  // Heredoc bodies keep their quotes when expanded: only the escape character protects a `$` there.
  const body = heredocs.find(
    (h) => !h.quoted && tooDeepSubstitution(h.content, 0, escape, maxDepth, false) !== -1,
  );
  if (!body) return true;
  source.report('SUBSTITUTION_TOO_DEEP', body.bodySpan, message, raiseHint('maxSubstitutionDepth'));
  return false;
}
