import { describe, expect, it } from '@jest/globals';
import { renderTemplate, unsupportedFunctionNames } from '../../src/template';

function render(text: string, data: Record<string, unknown> = {}): string {
  return renderTemplate(text, data, 'f.tmpl', { environment: { HOME: '/root', EMPTY: '' } });
}

type Case = [name: string, template: string, expected: string];

/** Expected outputs are what Go's fmt and sprig v3.2.3 (with sealos' Helm overrides) print. */
const printf: Case[] = [
  ['%s %v %d %t', '{{printf "%s|%v|%d|%t" "a" 1.5 42 true}}', 'a|1.5|42|true'],
  ['%q of strings and runes', '{{printf "%q %q %#q" "a\\"b" 65 "raw"}}', '"a\\"b" \'A\' `raw`'],
  ['%x and %X of ints and strings', '{{printf "%x %X %#x %x" 255 255 255 "hi"}}', 'ff FF 0xff 6869'],
  ['%o %b %c %U', '{{printf "%o %b %c %U" 8 5 65 65}}', '10 101 A U+0041'],
  [
    'width, precision and flags',
    '{{printf "[%5s][%-5s][%05d][%+d][%.2f][%8.3f][%.1s]" "ab" "ab" 42 7 3.14159 2.5 "xyz"}}',
    '[   ab][ab   ][00042][+7][3.14][   2.500][x]',
  ],
  [
    '%e and %g',
    '{{printf "%e %g %g %.3g" 123456.789 0.000012 1e21 3.14159}}',
    '1.234568e+05 1.2e-05 1e+21 3.14',
  ],
  [
    'bad verbs, missing and extra arguments',
    '{{printf "%d %s" "x"}} {{printf "%s" "a" 1}}',
    '%!d(string=x) %!s(MISSING) a%!(EXTRA int=1)',
  ],
  [
    '%v of nil, maps and lists',
    '{{printf "%v %v %v" nil (dict "b" 1 "a" "x") (list 1 "a")}}',
    '<nil> map[a:x b:1] [1 a]',
  ],
  ['%T', '{{printf "%T %T %T %T" 1 1.5 "s" (list)}}', 'int float64 string []interface {}'],
  ['%%', '{{printf "100%%"}}', '100%'],
];

const sprig: Case[] = [
  [
    'default with empty values',
    '{{default "d" ""}} {{default "d" .missing}} {{default "d" "v"}} {{default 5 0}}',
    'd d v 5',
  ],
  [
    'empty, coalesce, ternary',
    '{{empty ""}} {{empty "x"}} {{coalesce "" .missing "c"}} {{ternary "y" "n" true}}',
    'true false c y',
  ],
  [
    'quote and squote skip nil',
    '{{quote "a" .missing 1}} {{squote "a"}} {{quote "tab\\there"}}',
    '"a" "1" \'a\' "tab\\there"',
  ],
  [
    'case and trimming',
    '{{upper "abc"}} {{lower "ABC"}} {{title "hello wide-world"}} [{{trim "  x \\n"}}]',
    'ABC abc Hello Wide-World [x]',
  ],
  [
    'trimSuffix, trimPrefix, trimAll',
    '{{trimSuffix "/" "a/b/"}} {{trimPrefix "v" "v1.2"}} {{trimAll "$" "$5$"}}',
    'a/b 1.2 5',
  ],
  [
    'replace, contains, hasPrefix, hasSuffix',
    '{{replace "." "-" "a.b.c"}} {{contains "b" "abc"}} {{hasPrefix "a" "abc"}} {{hasSuffix "x" "abc"}}',
    'a-b-c true true false',
  ],
  [
    'split and splitList',
    '{{$p := split "/" "a/b/c"}}{{$p._1}} {{splitList "," "a,b"}} {{len (splitList "," "")}}',
    'b [a b] 1',
  ],
  ['join', '{{join "," (list "a" 1 .missing "b")}} {{join "-" (splitList "." "1.2.3")}}', 'a,1,b 1-2-3'],
  ['indent and nindent', '{{"a\\nb" | indent 2}}|{{"a" | nindent 4}}', '  a\n  b|\n    a'],
  [
    'list, dict, get, set, hasKey, keys',
    '{{$d := dict "b" 2 "a" 1}}{{get $d "a"}} {{get $d "z"}}| {{$_ := set $d "c" 3}}{{hasKey $d "c"}} {{keys $d | sortAlpha}}',
    '1 | true [a b c]',
  ],
  [
    'first, last, rest, initial, append, prepend, reverse, uniq, has',
    '{{$l := list 1 2 2 3}}{{first $l}} {{last $l}} {{rest $l}} {{initial $l}} {{append $l 4}} {{prepend $l 0}} {{reverse $l}} {{uniq $l}} {{has 3 $l}}',
    '1 3 [2 2 3] [1 2 2] [1 2 2 3 4] [0 1 2 2 3] [3 2 2 1] [1 2 3] true',
  ],
  [
    'numbers from env strings',
    '{{add 1 "2" 3}} {{sub "10" 4}} {{mul 2 3 4}} {{div 7 2}} {{mod 7 2}} {{int "42"}} {{atoi "x"}} {{max 1 5 3}} {{min 4 2}}',
    '6 6 24 3 1 42 0 5 2',
  ],
  ['toString and cat', '{{toString 5}} {{cat "a" .missing 1 "b"}}', '5 a 1 b'],
  [
    'until and substr/trunc',
    '{{until 3}} {{substr 1 3 "abcd"}} {{trunc 2 "abcd"}} {{trunc -2 "abcd"}}',
    '[0 1 2] bc ab cd',
  ],
  [
    'b64, b32, hashes',
    '{{b64enc "sealos"}} {{b64dec "c2VhbG9z"}} {{b64dec "!!"}} {{b32enc "hi"}} {{sha256sum "abc" | trunc 12}} {{sha1sum "abc" | trunc 8}} {{adler32sum "abc"}}',
    'c2VhbG9z sealos illegal base64 data at input byte 0 NBUQ==== ba7816bf8f01 a9993e36 38600999',
  ],
  [
    'toJson sorts keys and escapes HTML as Go does',
    '{{dict "b" (list 1 "x") "a" "<&>" "c" 1.5 | toJson}}',
    '{"a":"\\u003c\\u0026\\u003e","b":[1,"x"],"c":1.5}',
  ],
  [
    'toPrettyJson and toRawJson',
    '{{dict "a" (list 1) | toPrettyJson}} {{dict "a" "<" | toRawJson}}',
    '{\n  "a": [\n    1\n  ]\n} {"a":"<"}',
  ],
  [
    'fromJson numbers are float64',
    '{{$m := fromJson `{"a": 1, "b": [true, null]}`}}{{$m.a}} {{printf "%T" $m.a}} {{index $m.b 0}} {{(fromJson "nope").Error | empty | not}}',
    '1 float64 true true',
  ],
  [
    'fromYaml reads YAML 1.1 and the first document',
    '{{$m := fromYaml "a: yes\\nb: [1, two]\\n---\\nc: 3"}}{{$m.a}} {{$m.b}} {{$m.c}}',
    'true [1 two] <no value>',
  ],
  ['fromYamlArray', '{{fromYamlArray "- a\\n- 2"}}', '[a 2]'],
  [
    'semverCompare',
    '{{semverCompare "^1.27.0" "v1.27.3"}} {{semverCompare ">=1.20, <1.26" "1.25"}} {{semverCompare "~1.2.3" "1.3.0"}}',
    'true true false',
  ],
  [
    'paths',
    '{{base "/a/b.tar.gz"}} {{dir "/a/b/c"}} {{clean "a//b/../c/"}} {{ext "x.tar.gz"}} {{isAbs "/x"}}',
    'b.tar.gz /a/b a/c .gz true',
  ],
  [
    'env and expandenv read the environment given',
    '{{env "HOME"}} [{{env "NOPE"}}] {{expandenv "home=$HOME ${HOME}/x $NOPE."}}',
    '/root [] home=/root /root/x .',
  ],
  [
    'ipNet and ipAt (sealos)',
    '{{ipNet "10.96.0.10/12"}} {{ipAt "10.96.0.0/12" 10}} {{ipAt "10.0.0.0/30" 9}}',
    '10.96.0.0/12 10.96.0.10 out of ip address range',
  ],
  ['sprig slice replaces the builtin', '{{slice (list 1 2 3 4) 1 3}}', '[2 3]'],
  [
    'dig',
    '{{dig "a" "b" "none" (dict "a" (dict "b" "found"))}} {{dig "a" "x" "none" (dict "a" (dict))}}',
    'found none',
  ],
];

/** Go's regexp semantics: leftmost-first, `$1`/`${name}` expansion, empty matches after a match skipped. */
const regex: Case[] = [
  [
    'regexMatch',
    '{{regexMatch `^v[0-9]+\\.[0-9]+` "v1.27.3"}} {{regexMatch "^[a-z]+$" "abc1"}} {{regexMatch "(" "x"}}',
    'true false false',
  ],
  [
    'regexFind and regexFindAll',
    '{{regexFind "[0-9]+" "ab123cd45"}} {{regexFindAll "[0-9]+" "a1b22c333" -1}} {{regexFindAll "[0-9]" "a1b2c3" 2}}',
    '123 [1 22 333] [1 2]',
  ],
  [
    'leftmost-first alternation and lazy repetition',
    '{{regexFind "a|ab" "ab"}} {{regexFind "a+?" "aaa"}} {{regexFind "(?i)HELLO" "say hello"}}',
    'a a hello',
  ],
  [
    'regexReplaceAll expands groups',
    '{{regexReplaceAll `(\\w+)@(?P<host>[a-z.]+)` "me@a.io, you@b.org" "${host}:$1"}}',
    'a.io:me, b.org:you',
  ],
  [
    'empty matches, as Go places them',
    '{{regexReplaceAll "x*" "abc" "-"}} {{regexReplaceAllLiteral "a" "banana" "$1"}}',
    '-a-b-c- b$1n$1n$1',
  ],
  ['regexSplit', '{{regexSplit `\\s*,\\s*` "a , b,c" -1}} {{regexSplit "," "a,b,c" 2}}', '[a b c] [a b,c]'],
  ['regexQuoteMeta', '{{regexQuoteMeta "1.2+[x]"}}', '1\\.2\\+\\[x\\]'],
  [
    'word boundaries and classes',
    '{{regexFindAll `\\b[[:upper:]][a-z]*\\b` "Hello big World" -1}}',
    '[Hello World]',
  ],
];

const yaml: Case[] = [
  [
    'quotes what YAML 1.1 would read as another type, single-quotes what cannot be plain',
    '{{dict "a" "true" "b" "1.5" "c" "" "d" "hello world" "e" "yes" "f" "2023-01-01" "g" "a: b" "h" "- x" "j" "10:30" "k" "0x1F" "l" "~" | toYaml}}',
    'a: "true"\nb: "1.5"\nc: ""\nd: hello world\ne: "yes"\nf: "2023-01-01"\ng: \'a: b\'\nh: \'- x\'\nj: "10:30"\nk: "0x1F"\nl: "~"',
  ],
  [
    'scalars of other types',
    '{{dict "n" 1 "f" 1.5 "w" 2.0 "t" true "z" nil | toYaml}}',
    'f: 1.5\n"n": 1\nt: true\nw: 2\nz: null',
  ],
  [
    'multi-line strings as literal blocks',
    '{{dict "s" "line1\\nline2" "t" "end\\n" | toYaml}}',
    's: |-\n  line1\n  line2\nt: |\n  end',
  ],
  [
    'lists flush under their key, maps in lists',
    '{{dict "l" (list (dict "a" 1 "b" 2) (dict "c" 3)) | toYaml}}',
    'l:\n- a: 1\n  b: 2\n- c: 3',
  ],
  [
    'nested lists and empty collections',
    '{{list (list 1 2) 3 (dict) (list) | toYaml}}',
    '- - 1\n  - 2\n- 3\n- {}\n- []',
  ],
  [
    'keys in go-yaml order: digit runs compare as numbers',
    '{{dict "a10" 1 "a2" 2 "B" 0 "b" 3 | toYaml}}',
    'B: 0\na2: 2\na10: 1\nb: 3',
  ],
  ['a scalar and nil at the top', '{{toYaml "x"}}|{{toYaml .missing}}', 'x|null'],
  [
    'tabs and emoji are escaped in double quotes',
    '{{dict "a" "x\\ty" "b" "ok 😀" | toYaml}}',
    'a: "x\\ty"\nb: "ok \\U0001F600"',
  ],
  [
    'long plain strings fold at column 80',
    `{{dict "k" (repeat 30 "word " | trim) | toYaml}}`,
    `k: ${'word '.repeat(15)}word\n  ${'word '.repeat(13)}word`,
  ],
];

describe('template functions', () => {
  for (const [name, text, expected] of [...printf, ...sprig, ...regex, ...yaml]) {
    it(name, () => {
      expect(render(text)).toBe(expected);
    });
  }

  it('lists the sealos functions kimg refuses, and refuses them at parse time', () => {
    const refused = unsupportedFunctionNames();
    expect(refused).toEqual(
      expect.arrayContaining(['now', 'randAlphaNum', 'genCA', 'getHostByName', 'uuidv4']),
    );
    expect(refused).not.toContain('toYaml');
    for (const name of refused)
      expect(() => render(`{{ ${name} }}`)).toThrow(`function "${name}" is not supported by kimg's renderer`);
  });
});
