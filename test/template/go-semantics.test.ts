import { describe, expect, it } from '@jest/globals';
import { renderTemplate } from '../../src/template';

/**
 * Cases from Go's own text/template tests (exec_test.go, parse_test.go), ported by meaning: the data is what a
 * sealos env can hold (strings), or lists and maps built in the template or passed in for completeness. Every
 * expected output is what Go 1.23 prints for the same template and data.
 */
const data = {
  s: 'hello',
  empty: '',
  si: [3n, 4n, 5n],
  sEmpty: [],
  msi: { one: 1n, two: 2n, three: 3n },
  nested: { inner: { k: 'v' } },
};

function render(text: string, values: Record<string, unknown> = data): string {
  return renderTemplate(text, values, 'go.tmpl');
}

type Case = [name: string, template: string, expected: string, values?: Record<string, unknown>];

const renders: Case[] = [
  ['text is copied', 'hello, world', 'hello, world'],
  ['field of a map', '{{.s}}', 'hello'],
  ['nested keys', '{{.nested.inner.k}}', 'v'],
  ['missing key prints <no value> (missingkey=default)', '{{.nope}}', '<no value>'],
  ['missing chain stays missing', '{{.nope.deeper.still}}', '<no value>'],
  ['missing key through print is nil', '{{print .nope}}', '<nil>'],
  ['$ is the data', '{{$.s}}', 'hello'],
  ['dot in a with', '{{with .nested}}{{.inner.k}}{{end}}', 'v'],
  ['nested with', '{{with .nested}}{{with .inner}}{{.k}}{{end}}{{end}}', 'v'],
  ['with on empty takes else', '{{with .empty}}X{{else}}E{{end}}', 'E'],
  ['else with (Go 1.23)', '{{with .nope}}A{{else with .s}}{{.}}{{end}}', 'hello'],
  ['if else', '{{if .empty}}T{{else}}F{{end}}', 'F'],
  ['else if chain', '{{if eq .s "x"}}X{{else if eq .s "hello"}}H{{else}}Z{{end}}', 'H'],
  ['range over a slice', '{{range .si}}-{{.}}-{{end}}', '-3--4--5-'],
  ['range with index and element', '{{range $i, $e := .si}}<{{$i}}={{$e}}>{{end}}', '<0=3><1=4><2=5>'],
  ['range with one variable is the element', '{{range $e := .si}}<{{$e}}>{{end}}', '<3><4><5>'],
  [
    'range over a map visits sorted keys',
    '{{range $k, $v := .msi}}{{$k}}={{$v}} {{end}}',
    'one=1 three=3 two=2 ',
  ],
  ['range else on an empty slice', '{{range .sEmpty}}X{{else}}EMPTY{{end}}', 'EMPTY'],
  ['range over a missing key acts as empty', '{{range .nope}}X{{else}}NONE{{end}}', 'NONE'],
  ['break', '{{range .si}}{{if eq . 4}}{{break}}{{end}}{{.}}{{end}}', '3'],
  ['continue', '{{range .si}}{{if eq . 4}}{{continue}}{{end}}{{.}}{{end}}', '35'],
  ['variable declared and assigned', '{{$x := 1}}{{$x}}{{$x = 2}}{{$x}}', '12'],
  [
    'a declaration in if is scoped to it',
    '{{$x := "outer"}}{{if true}}{{$x := "inner"}}{{$x}}{{end}} {{$x}}',
    'inner outer',
  ],
  [
    'an assignment in if reaches the outer variable',
    '{{$x := "a"}}{{if true}}{{$x = "b"}}{{end}}{{$x}}',
    'b',
  ],
  [
    'range assignment to outer variables',
    '{{$i := 0}}{{$e := 0}}{{range $i, $e = .si}}{{end}}{{$i}} {{$e}}',
    '2 5',
  ],
  ['with declares', '{{with $x := "output" | printf "%q"}}{{$x}}{{end}}', '"output"'],
  [
    'define and template',
    '{{define "T"}}[{{.}}]{{end}}{{template "T" "x"}}{{template "T" .s}}',
    '[x][hello]',
  ],
  ['template without data gets nil', '{{define "T"}}{{.}}{{end}}{{template "T"}}', '<no value>'],
  ['block defines and runs', '{{block "B" .s}}<{{.}}>{{end}}', '<hello>'],
  [
    "a template does not see the caller's variables but has its own $",
    '{{define "T"}}{{$}}{{end}}{{$x := 1}}{{template "T" "d"}}',
    'd',
  ],
  ['trim markers', '{{23 -}} < {{- 45}}', '23<45'],
  ['trim markers take newlines and tabs', 'a \n\t{{- "b" -}} \n c', 'abc'],
  ['a minus without a space is a number', '{{-3}}', '-3'],
  ['comment', 'a{{/* a comment */}}b', 'ab'],
  ['comment with trim markers', 'a  {{- /* c */ -}}  b', 'ab'],
  ['actions may span lines', '{{ if\n  eq .s "hello" }}yes{{ end }}', 'yes'],
  ['raw string', '{{`a\\nb`}}', 'a\\nb'],
  ['string escapes', '{{"\\u0041\\t\\x42"}}', 'A\tB'],
  ['rune constant is an int', "{{'a'}}", '97'],
  ['hex, octal, binary and underscores', '{{0x1F}} {{0o17}} {{017}} {{0b101}} {{1_000}}', '31 15 15 5 1000'],
  [
    'float constants print as %v does',
    '{{1.5}} {{1e6}} {{1e5}} {{0.00001}} {{1.0}}',
    '1.5 1e+06 100000 1e-05 1',
  ],
  ['and returns the deciding argument', '{{and 1 0 2}} {{and 1 2}}', '0 2'],
  ['or returns the first true argument', '{{or 0 "" "x" "y"}} {{or 0 ""}}', 'x '],
  [
    'and/or stop early',
    '{{or true (fail "not evaluated")}} {{and false (fail "not evaluated")}}',
    'true false',
  ],
  ['not', '{{not 0}} {{not "x"}} {{not .nope}}', 'true false true'],
  ['len', '{{len .si}} {{len .s}} {{len .msi}} {{len "héllo"}}', '3 5 3 6'],
  ['index', '{{index .si 1}} {{index .msi "two"}} {{index .nested "inner" "k"}}', '4 2 v'],
  ['index of a missing key in map[string]string is ""', '{{index . "nope"}}|', '|', { a: 'x' }],
  ['index of a missing key in map[string]interface{} is nil', '{{index . "nope"}}|', '<no value>|'],
  ['print adds spaces between non-strings', '{{print 1 2 "a" "b" 3}}', '1 2ab3'],
  ['println', '{{println 1 "a"}}', '1 a\n'],
  ['pipeline passes the last argument', '{{"put" | printf "%s%s" "out" | printf "%q"}}', '"output"'],
  ['parenthesized argument', '{{printf "%q" (print "out" "put")}}', '"output"'],
  ['eq with several', '{{eq .s "a" "hello"}} {{eq 1 2 3}}', 'true false'],
  ['eq of missing with nil', '{{eq .nope nil}}', 'true'],
  [
    'eq of a missing value with a string is false, not an error',
    '{{eq .nope ""}} {{ne .nope ""}}',
    'false true',
  ],
  ['ordered comparisons', '{{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1.5 2.5}}', 'true true true false'],
  ['maps and slices print as fmt does', '{{.msi}} {{.si}} {{list}}', 'map[one:1 three:3 two:2] [3 4 5] []'],
  ['the data map prints', '{{.}}', 'map[a:x b:y]', { a: 'x', b: 'y' }],
  [
    'html, js, urlquery',
    '{{html "<a&b>"}} {{js "it\'s"}} {{urlquery "a b&c"}}',
    "&lt;a&amp;b&gt; it\\'s a+b%26c",
  ],
];

const refusals: [name: string, template: string, message: string][] = [
  [
    'comparing int and string',
    '{{eq 1 "1"}}',
    'go.tmpl:1:3: executing at <eq 1 "1">: error calling eq: incompatible types for comparison: int and string',
  ],
  ['comparing int and float', '{{lt 1 1.5}}', 'incompatible types for comparison: int and float64'],
  ['comparing env strings with numbers', '{{eq .s 5}}', 'incompatible types for comparison: string and int'],
  ['field of a string', '{{.s.x}}', "can't evaluate field x in type string"],
  ['a map key with arguments', '{{.s 1}}', 's is not a method but has arguments'],
  ['argument to a constant', '{{"x" 1}}', 'can\'t give argument to non-function "x"'],
  ['nil as a command', '{{nil}}', 'nil is not a command'],
  ['range over an int (Go 1.23)', '{{range 5}}{{end}}', "range can't iterate over 5"],
  ['a missing value where a string is needed', '{{upper .nope}}', 'invalid value; expected string'],
  ['an int where a string is needed', '{{upper 5}}', 'expected string; found 5'],
  [
    'a computed int where a string is needed',
    '{{len .s | upper}}',
    'wrong type for value; expected string; got int',
  ],
  ['wrong number of arguments', '{{upper "a" "b"}}', 'wrong number of args for upper: want 1 got 2'],
  ['index out of range', '{{index .si 5}}', 'error calling index: index out of range: 5'],
  ['undefined template', '{{template "nope"}}', 'template "nope" not defined'],
];

describe('Go text/template semantics', () => {
  for (const [name, text, expected, values] of renders) {
    it(name, () => {
      expect(render(text, values ?? data)).toBe(expected);
    });
  }

  for (const [name, text, message] of refusals) {
    it(`refuses ${name}`, () => {
      expect(() => render(text)).toThrow(message);
    });
  }
});
