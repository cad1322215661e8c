import { expand } from '../../../src/build/kubefile';

const ENV = { V: 'val', EMPTY: '', PATH: '/usr/bin', N: 'a b' };

/** The Dockerfile reference, "Environment replacement", one row per rule. */
describe('expand', () => {
  test.each([
    ['plain', 'plain'],
    ['$V', 'val'],
    ['${V}', 'val'],
    ['${V}_x', 'val_x'],
    ['$V_x', ''],
    ['$UNSET', ''],
    ['a$', 'a$'],
    ['$-x', '$-x'],
    ['${V:-d}', 'val'],
    ['${EMPTY:-d}', 'd'],
    ['${UNSET:-d}', 'd'],
    ['${EMPTY-d}', ''],
    ['${UNSET-d}', 'd'],
    ['${V:+alt}', 'alt'],
    ['${EMPTY:+alt}', ''],
    ['${EMPTY+alt}', 'alt'],
    ['${UNSET+alt}', ''],
    ['${UNSET:-${V}-nested}', 'val-nested'],
    ['${UNSET:-"quoted }"}', 'quoted }'],
    ['\\$V', '$V'],
    ['\\${V}', '${V}'],
    ["'$V'", '$V'],
    ['"$V"', 'val'],
    ['"\\$V"', '$V'],
    ['"a\\nb"', 'a\\nb'],
    ['"say \\"hi\\""', 'say "hi"'],
    ['a\\ b', 'a b'],
    ['$PATH:/bin', '/usr/bin:/bin'],
    ['"$N"', 'a b'],
    ['${V:?must be set}', 'val'],
    ['$1', ''],
  ])('%s → %s', (word, want) => {
    const result = expand(word, ENV);
    expect(result.error).toBeUndefined();
    expect(result.value).toBe(want);
  });

  test('the escape character can be a backtick', () => {
    expect(expand('`$V c:\\dir', ENV, { escape: '`' }).value).toBe('$V c:\\dir');
  });

  test('keepQuotes expands variables but keeps quotes (heredoc bodies)', () => {
    expect(expand('echo "$V" \'$V\'', ENV, { keepQuotes: true }).value).toBe('echo "val" \'val\'');
  });

  test('works with a Map and never reads the prototype', () => {
    expect(expand('$V', new Map([['V', 'm']])).value).toBe('m');
    expect(expand('${constructor}${toString}', {}).value).toBe('');
  });

  test('reports referenced and unset variables', () => {
    const result = expand('${V}$A${B:-$C}', ENV);
    expect([result.referenced, result.unset]).toEqual([
      ['V', 'A', 'B', 'C'],
      ['A', 'B', 'C'],
    ]);
  });

  test.each([
    ['${V', 'missing "}"'],
    ['${}', 'bad substitution: missing variable name'],
    ['${V!x}', 'unsupported modifier "!" in ${V}'],
    ['"open', 'unterminated double quote'],
    ["'open", 'unterminated single quote'],
    ['${UNSET:?must be set}', 'UNSET: must be set'],
    ['${EMPTY?}', 'EMPTY is not set'],
  ])('%s is an error: %s', (word, message) => {
    if (word === '${EMPTY?}') {
      // `?` without `:` only fails when unset: EMPTY is set.
      expect(expand(word, ENV).error).toBeUndefined();
      expect(expand('${UNSET?}', ENV).error?.message).toBe('UNSET is not set');
      return;
    }
    expect(expand(word, ENV).error?.message).toBe(message);
  });
});
