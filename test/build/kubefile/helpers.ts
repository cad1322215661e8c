import { parseKubefile, type Diagnostic, type Instruction } from '../../../src/build/kubefile';

/** Parses `FROM scratch` + `text` and returns the instruction(s) after FROM and the diagnostics. */
export function afterFrom(text: string): { instructions: Instruction[]; diagnostics: Diagnostic[] } {
  const { ast, diagnostics } = parseKubefile(`FROM scratch\n${text}`);
  return { instructions: ast.instructions.slice(1), diagnostics };
}

/** The single instruction after FROM; fails the test on any diagnostic. */
export function only(text: string): Instruction {
  const { instructions, diagnostics } = afterFrom(text);
  expect(diagnostics).toEqual([]);
  expect(instructions).toHaveLength(1);
  const [instruction] = instructions;
  if (!instruction) throw new Error('no instruction');
  return instruction;
}

export function codes(text: string): string[] {
  return parseKubefile(text).diagnostics.map((d) => d.code);
}
