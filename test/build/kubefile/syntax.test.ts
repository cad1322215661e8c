import { parseKubefile } from '../../../src/build/kubefile';
import { afterFrom, only } from './helpers';

describe('parser directives', () => {
  test('syntax, escape and check are kept; escape changes the continuation character', () => {
    const text =
      '# syntax=docker/dockerfile:1\n#ESCAPE = `\n# check=skip=all\nFROM scratch\nCOPY c:\\a `\n  d:\\b\n';
    const { ast, diagnostics } = parseKubefile(text);
    expect(diagnostics).toEqual([]);
    expect(ast.directives.map((d) => [d.name, d.value, d.span.line])).toEqual([
      ['syntax', 'docker/dockerfile:1', 1],
      ['escape', '`', 2],
      ['check', 'skip=all', 3],
    ]);
    expect(ast.escape).toBe('`');
    const copy = ast.instructions[1];
    expect(copy?.kind === 'COPY' && [copy.sources[0]?.word.text, copy.dest.text]).toEqual(['c:\\a', 'd:\\b']);
  });

  test('directives after a comment, blank line or instruction are plain comments', () => {
    for (const text of ['# hello\n# escape=`\nFROM a\n', '\n# escape=`\nFROM a\n', 'FROM a\n# escape=`\n']) {
      const { ast, diagnostics } = parseKubefile(text);
      expect([ast.directives, ast.escape, diagnostics]).toEqual([[], '\\', []]);
    }
  });

  test('an unknown directive ends the directive block (with a warning)', () => {
    const { ast, diagnostics } = parseKubefile('# foo=bar\n# escape=`\nFROM a\n');
    expect([ast.directives, ast.escape]).toEqual([[], '\\']);
    expect(diagnostics.map((d) => [d.code, d.severity])).toEqual([['UNKNOWN_DIRECTIVE', 'warning']]);
  });
});

describe('continuations and comments', () => {
  test('pieces join without a separator; comment lines inside are dropped', () => {
    const node = only('RUN apt-get update \\\n# a comment\n    && apt-get install -y \\\n      curl');
    expect(node.kind === 'RUN' && node.command.form === 'shell' && node.command.command.text).toBe(
      'apt-get update     && apt-get install -y       curl',
    );
    expect(node.span).toEqual({ line: 2, column: 1, endLine: 5, endColumn: 11 });
  });

  test('words crossing a continuation keep exact spans', () => {
    const node = only('COPY a \\\n   b \\\n  /dst');
    if (node.kind !== 'COPY') throw new Error('not COPY');
    expect(node.sources.map((s) => s.word.span)).toEqual([
      { line: 2, column: 6, endLine: 2, endColumn: 7 },
      { line: 3, column: 4, endLine: 3, endColumn: 5 },
    ]);
    expect(node.dest.span).toEqual({ line: 4, column: 3, endLine: 4, endColumn: 7 });
  });

  test('the escape character followed by blanks still continues; an empty continuation line warns', () => {
    const { instructions, diagnostics } = afterFrom('EXPOSE 80 \\  \n\n 443\n');
    expect(instructions[0]?.kind === 'EXPOSE' && instructions[0].items.map((i) => i.text)).toEqual([
      '80',
      '443',
    ]);
    expect(diagnostics.map((d) => [d.code, d.line])).toEqual([['EMPTY_CONTINUATION', 3]]);
  });

  test('# inside an instruction is an argument; leading blanks are ignored; CRLF is fine', () => {
    const { ast, diagnostics } = parseKubefile(
      'FROM a\r\n   # indented comment\r\n  RUN echo # not a comment\r\n',
    );
    expect(diagnostics).toEqual([]);
    const run = ast.instructions[1];
    expect(run?.kind === 'RUN' && run.command.form === 'shell' && run.command.command.text).toBe(
      'echo # not a comment',
    );
    expect(run?.keywordSpan).toEqual({ line: 3, column: 3, endLine: 3, endColumn: 6 });
  });

  test('a byte-order mark is ignored', () => {
    expect(parseKubefile('\ufeffFROM a\n').diagnostics).toEqual([]);
  });
});

describe('heredocs', () => {
  test.each([
    ['RUN <<EOF\necho hi\nEOF', [{ name: 'EOF', content: 'echo hi\n', quoted: false, chomp: false }]],
    ['RUN <<EOF\nEOF', [{ name: 'EOF', content: '', quoted: false, chomp: false }]],
    [
      'RUN <<-EOT\n\techo a\n\t\techo b\n\tEOT',
      [{ name: 'EOT', content: 'echo a\necho b\n', quoted: false, chomp: true }],
    ],
    [
      "RUN <<'EOF' python3\nprint('$HOME')\nEOF",
      [{ name: 'EOF', content: "print('$HOME')\n", quoted: true, chomp: false }],
    ],
    ['RUN <<"X" bash\na\nX', [{ name: 'X', content: 'a\n', quoted: true, chomp: false }]],
    [
      'RUN cat <<A <<B > /f\none\nA\ntwo\nB',
      [
        { name: 'A', content: 'one\n', quoted: false, chomp: false },
        { name: 'B', content: 'two\n', quoted: false, chomp: false },
      ],
    ],
    ['RUN <<EOF\n  EOF\nEOF', [{ name: 'EOF', content: '  EOF\n', quoted: false, chomp: false }]],
  ])('%j', (text, want) => {
    const node = only(text);
    if (node.kind !== 'RUN') throw new Error('not RUN');
    expect(
      node.heredocs.map(({ name, content, quoted, chomp }) => ({ name, content, quoted, chomp })),
    ).toEqual(want);
  });

  test('COPY sources that are heredocs carry their content', () => {
    const node = only('COPY <<one.txt <<two.txt file /dst/\n1\none.txt\n2\ntwo.txt');
    if (node.kind !== 'COPY') throw new Error('not COPY');
    expect(
      node.sources.map((s) => (s.kind === 'heredoc' ? `heredoc:${s.heredoc.content}` : s.word.text)),
    ).toEqual(['heredoc:1\n', 'heredoc:2\n', 'file']);
    expect(node.span).toEqual({ line: 2, column: 1, endLine: 6, endColumn: 8 });
    expect(node.heredocs[1]?.bodySpan).toEqual({ line: 5, column: 1, endLine: 6, endColumn: 8 });
  });

  test('quoted markers and JSON forms are not heredocs; other instructions do not read bodies', () => {
    expect(only('RUN "<<EOF"').kind === 'RUN').toBe(true);
    const json = only('RUN ["<<EOF"]');
    expect(json.kind === 'RUN' && json.heredocs).toEqual([]);
    const { instructions, diagnostics } = afterFrom('LABEL a=<<EOF\nEXPOSE 1\n');
    expect([instructions.map((i) => i.kind), diagnostics]).toEqual([['LABEL', 'EXPOSE'], []]);
  });

  test('the parse resumes after the body', () => {
    const { instructions } = afterFrom('ADD <<EOF /x\nFROM not-an-instruction\nEOF\nUSER me\n');
    expect(instructions.map((i) => i.kind)).toEqual(['ADD', 'USER']);
  });

  test('ONBUILD COPY reads its heredoc', () => {
    const node = only('ONBUILD COPY <<EOF /x\nhi\nEOF');
    expect(
      node.kind === 'ONBUILD' && node.instruction.kind === 'COPY' && node.instruction.heredocs[0]?.content,
    ).toBe('hi\n');
  });
});
