import { formatDiagnostic, parseKubefile, type Span } from '../../../src/build/kubefile';
import { SAMPLES } from './samples';

/**
 * Seeded mutation fuzzing of the sample Kubefiles (issue 5: "never an unhandled exception, always diagnostics
 * with positions"). Deterministic: a failure names its iteration, which replays with the same seed.
 */
const ITERATIONS = 20_000;
const SEED = 0x6b696d67; // "kimg"

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SPECIAL = [
  '\\',
  '`',
  '\n',
  '\r\n',
  '"',
  "'",
  '[',
  ']',
  '<<',
  '<<-',
  '$',
  '${',
  '}',
  '#',
  '=',
  '--',
  ' ',
  '\t',
  ',',
];
const UNICODE = ['é', '中', '😀', '\u0301', '\ufeff', '\u200b', '\ud800', '\udc00', '\u0000', '\u2028'];
const KEYWORDS = [
  'FROM x',
  'COPY <<EOF /d',
  'RUN <<-EOF',
  'EOF',
  'ONBUILD',
  'ARG A=1',
  'LAUNCH ["a"]',
  'HEALTHCHECK',
  'APP a',
];

function mutate(text: string, random: () => number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const at = (limit: number): number => Math.floor(random() * (limit + 1));
  const lines = text.split('\n');
  const line = at(lines.length - 1);
  switch (Math.floor(random() * 10)) {
    case 0: {
      const i = at(text.length - 1);
      return text.slice(0, i) + text.slice(i + 1 + at(3));
    }
    case 1: {
      const i = at(text.length);
      return text.slice(0, i) + pick(SPECIAL) + text.slice(i);
    }
    case 2: {
      const i = at(text.length);
      return (
        text.slice(0, i) +
        (random() < 0.5 ? pick(UNICODE) : String.fromCodePoint(at(0x10ffff))) +
        text.slice(i)
      );
    }
    case 3: {
      const i = at(text.length - 1);
      return text.slice(0, i) + text.slice(i, i + 1).repeat(2 + at(3)) + text.slice(i + 1);
    }
    case 4:
      lines.splice(line, 1);
      return lines.join('\n');
    case 5:
      lines.splice(line, 0, lines[line] ?? '');
      return lines.join('\n');
    case 6: {
      const other = at(lines.length - 1);
      [lines[line], lines[other]] = [lines[other] ?? '', lines[line] ?? ''];
      return lines.join('\n');
    }
    case 7:
      return text.slice(0, at(text.length));
    case 8:
      lines.splice(line, 0, pick(KEYWORDS));
      return lines.join('\n');
    default: {
      const i = at(text.length);
      return text.slice(0, i) + pick(SPECIAL) + pick(SPECIAL) + text.slice(i);
    }
  }
}

/** The parser's view of the lines (BOM dropped, "\n" split, one "\r" dropped, no phantom last line). */
function sourceLines(text: string): string[] {
  const lines = text
    .replace(/^\ufeff/, '')
    .split('\n')
    .map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function spanInside(span: Span, lines: readonly string[]): boolean {
  return span.line >= 1 && span.endLine >= span.line && span.endLine <= lines.length && span.column >= 1;
}

describe('fuzz', () => {
  test(`${ITERATIONS} seeded mutations never throw and always yield positioned diagnostics`, () => {
    const random = mulberry32(SEED);
    const samples = Object.values(SAMPLES);
    let withDiagnostics = 0;
    for (let iteration = 0; iteration < ITERATIONS; iteration++) {
      let text = samples[iteration % samples.length] ?? '';
      const rounds = 1 + Math.floor(random() * 4);
      for (let r = 0; r < rounds; r++) text = mutate(text, random);
      let result: ReturnType<typeof parseKubefile>;
      try {
        result = parseKubefile(text, 'Fuzz');
      } catch (err) {
        throw new Error(`iteration ${iteration} threw ${String(err)} on ${JSON.stringify(text)}`);
      }
      const lines = sourceLines(text);
      for (const d of result.diagnostics) {
        const line = lines[d.line - 1];
        const ok =
          line !== undefined &&
          d.text === line &&
          d.column >= 1 &&
          d.column <= line.length + 1 &&
          (d.endColumn === undefined || (d.endColumn > d.column && d.endColumn <= line.length + 1)) &&
          d.message !== '' &&
          d.hint !== '';
        if (!ok)
          throw new Error(
            `iteration ${iteration}: bad diagnostic ${JSON.stringify(d)} in ${JSON.stringify(text)}`,
          );
      }
      const [first] = result.diagnostics;
      if (first) formatDiagnostic(first);
      for (const instruction of result.ast.instructions) {
        if (!spanInside(instruction.span, lines) || !spanInside(instruction.keywordSpan, lines)) {
          throw new Error(`iteration ${iteration}: span outside the text in ${JSON.stringify(text)}`);
        }
      }
      if (result.diagnostics.length > 0) withDiagnostics++;
    }
    // The mutations must actually break things, or the test proves nothing.
    expect(withDiagnostics).toBeGreaterThan(ITERATIONS / 4);
  });
});
