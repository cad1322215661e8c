import { formatDiagnostic, parseKubefile, type Diagnostic } from '../../../src/build/kubefile';

function diag(text: string): Array<Pick<Diagnostic, 'code' | 'line' | 'column' | 'endColumn'>> {
  return parseKubefile(text).diagnostics.map(({ code, line, column, endColumn }) => ({
    code,
    line,
    column,
    ...(endColumn !== undefined && { endColumn }),
  }));
}

/** Each kind of problem, with its exact position. */
describe('diagnostics', () => {
  test.each([
    ['', [{ code: 'EMPTY_FILE', line: 1, column: 1 }]],
    ['# only a comment\n\n', [{ code: 'EMPTY_FILE', line: 1, column: 1 }]],
    ['FROM a\nCOPPY x y\n', [{ code: 'UNKNOWN_INSTRUCTION', line: 2, column: 1, endColumn: 6 }]],
    ['FROM a\n  form b\n', [{ code: 'UNKNOWN_INSTRUCTION', line: 2, column: 3, endColumn: 7 }]],
    ['FROM a\nCOPY x\n', [{ code: 'MISSING_ARGUMENT', line: 2, column: 7 }]],
    ['FROM a\nRUN   \n', [{ code: 'MISSING_ARGUMENT', line: 2, column: 4 }]],
    ['FROM\n', [{ code: 'MISSING_ARGUMENT', line: 1, column: 5 }]],
    ['FROM a b\n', [{ code: 'INVALID_ARGUMENT', line: 1, column: 8, endColumn: 9 }]],
    ['FROM a AS 1x\n', [{ code: 'INVALID_STAGE_NAME', line: 1, column: 11, endColumn: 13 }]],
    ['FROM a AS x\nFROM b AS X\n', [{ code: 'DUPLICATE_STAGE', line: 2, column: 11, endColumn: 12 }]],
    ['FROM a\nCOPY --frm=b x y\n', [{ code: 'UNKNOWN_FLAG', line: 2, column: 6, endColumn: 13 }]],
    ['FROM a\nWORKDIR --x /a\n', [{ code: 'UNKNOWN_FLAG', line: 2, column: 9, endColumn: 12 }]],
    ['FROM a\nCOPY --link=maybe x y\n', [{ code: 'INVALID_FLAG', line: 2, column: 6, endColumn: 18 }]],
    ['FROM a\nCOPY --from x y\n', [{ code: 'INVALID_FLAG', line: 2, column: 6, endColumn: 12 }]],
    [
      'FROM a\nCOPY --from=a --from=b x y\n',
      [{ code: 'DUPLICATE_FLAG', line: 2, column: 15, endColumn: 23 }],
    ],
    ['FROM a\nSHELL /bin/sh -c\n', [{ code: 'INVALID_JSON', line: 2, column: 7, endColumn: 17 }]],
    ['FROM a\nSHELL ["/bin/sh", -c]\n', [{ code: 'INVALID_JSON', line: 2, column: 19, endColumn: 20 }]],
    ["FROM a\nCMD ['a', 'b']\n", [{ code: 'INVALID_JSON', line: 2, column: 6, endColumn: 7 }]],
    ['FROM a\nCMD ["a",]\n', [{ code: 'INVALID_JSON', line: 2, column: 10, endColumn: 11 }]],
    [
      'FROM a\nCOPY "a b /d\n',
      [
        { code: 'UNTERMINATED_QUOTE', line: 2, column: 6, endColumn: 7 },
        { code: 'MISSING_ARGUMENT', line: 2, column: 13 },
      ],
    ],
    [
      'FROM a\nRUN <<EOF\nnever closed\n',
      [{ code: 'UNTERMINATED_HEREDOC', line: 2, column: 5, endColumn: 10 }],
    ],
    ['# escape=x\nFROM a\n', [{ code: 'INVALID_ESCAPE', line: 1, column: 1, endColumn: 11 }]],
    [
      '# syntax=a\n# syntax=b\nFROM a\n',
      [{ code: 'DUPLICATE_DIRECTIVE', line: 2, column: 1, endColumn: 11 }],
    ],
    ['LABEL a=b\nFROM a\n', [{ code: 'INSTRUCTION_BEFORE_FROM', line: 1, column: 1, endColumn: 6 }]],
    ['ARG A\nRUN x\n', [{ code: 'NO_FROM', line: 2, column: 1, endColumn: 4 }]],
    ['FROM a\nARG V\nFROM b:$V\n', [{ code: 'UNDECLARED_ARG_IN_FROM', line: 3, column: 6, endColumn: 10 }]],
    ['ARG V\nFROM b:$V\nFROM --platform=$TARGETPLATFORM c\n', []],
    ['FROM a\nONBUILD FROM b\n', [{ code: 'INVALID_ONBUILD', line: 2, column: 9, endColumn: 13 }]],
    ['FROM a\nENV =x\n', [{ code: 'INVALID_ARGUMENT', line: 2, column: 5, endColumn: 7 }]],
    ['FROM a\nENV A=1 B\n', [{ code: 'INVALID_ARGUMENT', line: 2, column: 9, endColumn: 10 }]],
    ['FROM a\nENV A\n', [{ code: 'MISSING_ARGUMENT', line: 2, column: 6 }]],
    ['FROM a\nUSER a b\n', [{ code: 'EXTRA_ARGUMENT', line: 2, column: 8, endColumn: 9 }]],
    ['FROM a\nHEALTHCHECK SOMETIMES\n', [{ code: 'INVALID_ARGUMENT', line: 2, column: 13, endColumn: 22 }]],
    [
      'FROM a\nHEALTHCHECK --interval=1s NONE\n',
      [{ code: 'EXTRA_ARGUMENT', line: 2, column: 27, endColumn: 31 }],
    ],
    ['FROM a\nAPP x ftp://h/a\n', [{ code: 'INVALID_APP_SOURCE', line: 2, column: 7, endColumn: 16 }]],
    ['FROM a\nAPP My_App local://a\n', [{ code: 'INVALID_APP_NAME', line: 2, column: 5, endColumn: 11 }]],
    ['FROM a\nAPP x\n', [{ code: 'MISSING_ARGUMENT', line: 2, column: 6 }]],
    [
      'FROM a\nKUBEVERSION not-a-range\n',
      [{ code: 'INVALID_KUBEVERSION', line: 2, column: 13, endColumn: 24 }],
    ],
    ['FROM a\nLAUNCH ["x"]\nLABEL a=b\n', [{ code: 'LAUNCH_NOT_LAST', line: 2, column: 1, endColumn: 7 }]],
    [
      'FROM a\nCMDS ["x"]\nLAUNCH ["y"]\n',
      [
        { code: 'LAUNCH_NOT_LAST', line: 2, column: 1, endColumn: 5 },
        { code: 'DUPLICATE_LAUNCH', line: 3, column: 1, endColumn: 7 },
      ],
    ],
  ])('%j', (text, want) => {
    expect(diag(text)).toEqual(want);
  });

  test('all problems of a file are reported in one run, in order', () => {
    const text = 'FROM a\nCOPPY x y\nCOPY x\nRUNN z\nEXPOSE 80\nUSER\n';
    expect(diag(text).map((d) => `${d.code}@${d.line}`)).toEqual([
      'UNKNOWN_INSTRUCTION@2',
      'MISSING_ARGUMENT@3',
      'UNKNOWN_INSTRUCTION@4',
      'MISSING_ARGUMENT@6',
    ]);
    expect(parseKubefile(text).ast.instructions.map((i) => i.kind)).toEqual(['FROM', 'EXPOSE']);
  });

  test('did you mean: closest instruction by edit distance, none when far', () => {
    const messages = (text: string): string[] =>
      parseKubefile(`FROM a\n${text}\n`).diagnostics.map((d) => d.message);
    expect(messages('FORM b')).toEqual(['unknown instruction "FORM" (did you mean "FROM"?)']);
    expect(messages('ENTRYPONT x')).toEqual(['unknown instruction "ENTRYPONT" (did you mean "ENTRYPOINT"?)']);
    expect(messages('lanuch ["a"]')).toEqual(['unknown instruction "lanuch" (did you mean "LAUNCH"?)']);
    expect(messages('FOOBAR x')).toEqual(['unknown instruction "FOOBAR"']);
    const [missing] = parseKubefile('FROM a\nRUN a\n&& b\n').diagnostics;
    expect(missing?.hint).toMatch(/end the previous line with the escape character/);
  });

  test('every diagnostic carries file, severity, hint and the source line', () => {
    const [d] = parseKubefile('FROM a\n\tCOPPY x y\n', 'app/Kubefile').diagnostics;
    expect(d).toEqual({
      code: 'UNKNOWN_INSTRUCTION',
      severity: 'error',
      file: 'app/Kubefile',
      line: 2,
      column: 2,
      endColumn: 7,
      message: 'unknown instruction "COPPY" (did you mean "COPY"?)',
      hint: 'write COPY',
      text: '\tCOPPY x y',
    });
  });

  test('formatDiagnostic shows the location, the line and a caret', () => {
    const [d] = parseKubefile('FROM a\n\tCOPPY x y\n').diagnostics;
    if (!d) throw new Error('no diagnostic');
    expect(formatDiagnostic(d)).toBe(
      [
        'Kubefile:2:2: error: unknown instruction "COPPY" (did you mean "COPY"?)',
        ' 2 | \tCOPPY x y',
        '   | \t^~~~~',
        '   = hint: write COPY',
      ].join('\n'),
    );
  });
});
