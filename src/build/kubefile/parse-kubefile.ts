import type { Instruction, KubefileAst } from './ast';
import type { Diagnostic } from './diagnostic';
import { scanDirectives } from './directives';
import { checkFile } from './file-checks';
import { lex } from './lexer';
import { parseInstruction } from './parse-instruction';
import { SourceText } from './source-text';

export interface ParseResult {
  ast: KubefileAst;
  /** Every problem in the file, in source order; the AST holds every instruction that could be read. */
  diagnostics: Diagnostic[];
}

/**
 * Kubefile text → AST + diagnostics. Pure and total: it never throws, never reads a file; a broken instruction
 * is reported and skipped and the parse resumes at the next one, so one run reports all problems.
 */
export function parseKubefile(text: string, file = 'Kubefile'): ParseResult {
  const source = new SourceText(file, text);
  const { directives, escape, nextLine } = scanDirectives(source);
  const instructions: Instruction[] = [];
  const lexed = lex(source, nextLine, escape);
  for (const { line, heredocs } of lexed) {
    const instruction = parseInstruction(source, escape, line, heredocs, 0);
    if (instruction) instructions.push(instruction);
  }
  const from = lexed.some(({ line }) => /^from(\s|$)/i.test(line.text));
  checkFile(source, instructions, { instructions: lexed.length, from });
  const diagnostics = [...source.diagnostics].sort((a, b) => a.line - b.line || a.column - b.column);
  return { ast: { file, directives, escape, instructions }, diagnostics };
}
