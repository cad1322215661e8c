import { describe, expect, it } from '@jest/globals';
import { isKimgError } from '../../src/errors';
import { parseTemplate, renderTemplate } from '../../src/template';

function errorOf(action: () => unknown): { message: string; hint?: string } {
  try {
    action();
  } catch (err) {
    if (isKimgError(err, 'TEMPLATE')) return { message: err.message, hint: err.hint };
    throw err;
  }
  throw new Error('expected a TEMPLATE error');
}

describe('template errors name the file, line and column', () => {
  it.each([
    ['an unclosed action', 'a\nb {{ .x \n', 'etc/a.tmpl:3:1: unclosed action'],
    ['an unclosed comment', 'x {{/* never closed', 'etc/a.tmpl:1:5: unclosed comment'],
    ['a stray end', 'line1\n  {{ end }}', 'etc/a.tmpl:2:3: unexpected {{end}}'],
    ['a missing end', '{{ if .a }}\nyes\n', 'etc/a.tmpl:3:1: unexpected EOF'],
    [
      'an unknown function',
      'ok\n  x: {{ .a | frobnicate }}',
      'etc/a.tmpl:2:14: function "frobnicate" not defined',
    ],
    ['a sprig function kimg refuses', '{{ now }}', 'etc/a.tmpl:1:4: function "now" is not supported by kimg'],
    ['an undefined variable', '{{ $x }}', 'etc/a.tmpl:1:4: undefined variable "$x"'],
    ['a non-executable pipeline stage', '{{ .a | "b" }}', 'non executable command in pipeline stage 2'],
    ['break outside range', '{{ break }}', '{{break}} outside {{range}}'],
    ['a bad number', '{{ 12ab }}', 'bad number syntax: "12a"'],
    ['a bad escape', '{{ "\\q" }}', 'etc/a.tmpl:1:4: invalid syntax'],
    [
      'a duplicate define',
      '{{define "a"}}x{{end}}{{define "a"}}y{{end}}',
      'multiple definition of template "a"',
    ],
    ['too many declarations', '{{ $a, $b := .x }}', 'too many declarations in command'],
  ])('at parse time: %s', (_name, text, message) => {
    const err = errorOf(() => parseTemplate(text, 'etc/a.tmpl'));
    expect(err.message).toContain(message);
    expect(err.hint).toMatch(/Go text\/template/);
  });

  it('reports execution errors at the failing node, after the lines before it', () => {
    const text = 'a: {{ .a }}\nb: {{ .b | upper }}\nc: {{ eq .c 1 }}\n';
    expect(errorOf(() => renderTemplate(text, { a: '1', c: '1' }, 'scripts/x.sh.tmpl')).message).toBe(
      'scripts/x.sh.tmpl:2:12: executing at <upper>: invalid value; expected string',
    );
    expect(errorOf(() => renderTemplate(text, { a: '1', b: 'x', c: '1' }, 'scripts/x.sh.tmpl')).message).toBe(
      'scripts/x.sh.tmpl:3:7: executing at <eq .c 1>: error calling eq: incompatible types for comparison: string and int',
    );
  });

  it('parses once and executes many times; parse errors come before any data is seen', () => {
    const template = parseTemplate('{{ .a | default "d" }}', 'x.tmpl');
    expect(template.execute({})).toBe('d');
    expect(template.execute({ a: 'v' })).toBe('v');
  });

  it('counts columns in characters on lines with multi-byte text', () => {
    expect(errorOf(() => parseTemplate('héllo wörld {{ nope }}', 'u.tmpl')).message).toBe(
      'u.tmpl:1:16: function "nope" not defined',
    );
  });
});

describe('hostile templates stop at the bounds, quickly', () => {
  const quick = (action: () => unknown): { message: string; ms: number } => {
    const start = Date.now();
    const { message } = errorOf(action);
    return { message, ms: Date.now() - start };
  };

  it('nested ranges stop at the step bound', () => {
    const text = '{{range until 1000}}{{range until 1000}}{{range until 1000}}{{end}}{{end}}{{end}}';
    const { message, ms } = quick(() => renderTemplate(text, {}, 'bomb.tmpl'));
    expect(message).toMatch(/bomb\.tmpl:1:\d+: .*template takes more than 2000000 steps/);
    expect(ms).toBeLessThan(5000);
  });

  it('a huge list is refused before it is built', () => {
    const { message, ms } = quick(() => renderTemplate('{{ len (until 1000000000) }}', {}, 'l.tmpl'));
    expect(message).toContain('steps');
    expect(ms).toBeLessThan(2000);
  });

  it('recursion through define stops at the depth bound', () => {
    const text = '{{define "r"}}x{{template "r" .}}{{end}}{{template "r" .}}';
    expect(quick(() => renderTemplate(text, {}, 'r.tmpl')).message).toContain(
      'exceeded maximum template depth (100)',
    );
  });

  it('output stops at the output bound', () => {
    const text = '{{range until 100000}}{{ "x" | repeat 1000 }}{{end}}';
    const { message, ms } = quick(() => renderTemplate(text, {}, 'o.tmpl', { maxOutput: 1024 * 1024 }));
    expect(message).toContain('output exceeds 1048576 characters');
    expect(ms).toBeLessThan(5000);
  });

  it('a single huge repeat or indent is refused before allocation', () => {
    expect(quick(() => renderTemplate('{{ repeat 1000000000 "abc" }}', {}, 'o.tmpl')).message).toContain(
      'output exceeds',
    );
    expect(quick(() => renderTemplate('{{ indent 1000000000 "x" }}', {}, 'o.tmpl')).message).toContain(
      'output exceeds',
    );
  });

  it('doubling a string or a list through a variable stops', () => {
    const strings = '{{ $s := "xx" }}{{ range until 64 }}{{ $s = print $s $s }}{{ end }}{{ len $s }}';
    expect(quick(() => renderTemplate(strings, {}, 'd.tmpl', { maxOutput: 1 << 20 })).message).toMatch(
      /exceeds the output bound/,
    );
    const lists = '{{ $l := list 1 }}{{ range until 64 }}{{ $l = concat $l $l }}{{ end }}{{ len $l }}';
    expect(quick(() => renderTemplate(lists, {}, 'd.tmpl')).message).toContain('steps');
  });

  it('a pattern that backtracks exponentially in JavaScript runs in linear time', () => {
    const text = `{{ regexMatch "^(a+)+$" "${'a'.repeat(5000)}b" }}`;
    const start = Date.now();
    expect(renderTemplate(text, {}, 're.tmpl')).toBe('false');
    expect(Date.now() - start).toBeLessThan(5000);
  });

  it('a map that contains itself is refused when printed or encoded', () => {
    const text = '{{ $d := dict }}{{ $_ := set $d "self" $d }}{{ X $d }}';
    for (const fn of ['print', 'toYaml', 'toJson']) {
      expect(quick(() => renderTemplate(text.replace('X', fn), {}, 'c.tmpl')).message).toContain(
        'nested deeper than 100 levels',
      );
    }
  });

  it('deep parentheses and deep nesting are parse errors, not stack overflows', () => {
    expect(
      errorOf(() => parseTemplate(`{{ ${'('.repeat(5000)}1${')'.repeat(5000)} }}`, 'p.tmpl')).message,
    ).toContain('max expression depth exceeded');
    expect(
      errorOf(() => parseTemplate(`${'{{if 1}}'.repeat(5000)}${'{{end}}'.repeat(5000)}`, 'p.tmpl')).message,
    ).toContain('nested deeper');
  });
});
