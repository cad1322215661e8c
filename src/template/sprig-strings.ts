import { sprint } from './format';
import { fn, FunctionError, int, str, type CallContext, type GoFunction } from './function';
import { goQuote } from './go-quote';
import { GoMap, type GoValue } from './values';

/**
 * sprig v3.2.3's string functions (strings.go, functions.go), the version sealos builds with. Argument order is
 * sprig's, made for pipelines: `.x | trimSuffix "/"`, `.x | indent 4`, `.x | contains "a"`.
 */

/** sprig's strval: strings as they are, anything else as fmt's %v (nil is `<nil>`). */
export function strval(value: GoValue): string {
  return typeof value === 'string' ? value : sprint([value]);
}

/** sprig's strslice: a slice's non-nil elements as strings; nil is an empty list, anything else one element. */
export function strslice(value: GoValue): string[] {
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(strval);
  if (value === undefined) return [];
  return [strval(value)];
}

/** Go's unicode.IsSpace over strings.TrimSpace's set. */
const GO_SPACE =
  '\t\n\v\f\r \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';

function trimSet(text: string, cutset: string, left = true, right = true): string {
  const chars = [...text];
  let start = 0;
  let end = chars.length;
  if (left) while (start < end && cutset.includes(chars[start] ?? '')) start++;
  if (right) while (end > start && cutset.includes(chars[end - 1] ?? '')) end--;
  return chars.slice(start, end).join('');
}

/** strings.Title: the first letter of each word upper-cased; words end at spaces and ASCII punctuation. */
function title(text: string): string {
  let prev = ' ';
  let out = '';
  for (const ch of text) {
    out += isSeparator(prev) ? ch.toUpperCase() : ch;
    prev = ch;
  }
  return out;
}

function isSeparator(ch: string): boolean {
  const code = ch.codePointAt(0) ?? 0;
  if (code <= 0x7f) return !/[0-9a-zA-Z_]/.test(ch);
  if (/[\p{L}\p{Nd}]/u.test(ch)) return false;
  return GO_SPACE.includes(ch);
}

function repeat(count: bigint, text: string, ctx: CallContext): string {
  if (count < 0n) throw new FunctionError('strings: negative Repeat count');
  ctx.reserve(Number(count) * text.length);
  return text.repeat(Number(count));
}

function indent(spaces: bigint, text: string, ctx: CallContext): string {
  const n = Math.max(0, Number(spaces));
  const lines = text.split('\n').length;
  ctx.reserve(n * lines + text.length);
  const pad = ' '.repeat(n);
  return pad + text.split('\n').join(`\n${pad}`);
}

function splitMap(sep: string, text: string, limit?: number): GoMap {
  const parts = goSplit(text, sep, limit);
  return new GoMap(new Map(parts.map((part, i) => [`_${i}`, part])), 'string');
}

/** strings.Split / SplitN: an empty separator splits after each UTF-8 sequence. */
export function goSplit(text: string, sep: string, limit = -1): string[] {
  if (limit === 0) return [];
  if (sep === '') {
    const chars = [...text];
    if (limit > 0 && chars.length > limit)
      return [...chars.slice(0, limit - 1), chars.slice(limit - 1).join('')];
    return chars;
  }
  const parts = text.split(sep);
  if (limit > 0 && parts.length > limit)
    return [...parts.slice(0, limit - 1), parts.slice(limit - 1).join(sep)];
  return parts;
}

function substr(start: bigint, end: bigint, text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  const s = Number(start);
  const e = Number(end);
  if (s < 0) return bytes.subarray(0, e).toString('utf8');
  if (e < 0 || e > bytes.length) return bytes.subarray(s).toString('utf8');
  return bytes.subarray(s, e).toString('utf8');
}

function trunc(count: bigint, text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  const c = Number(count);
  if (c < 0 && bytes.length + c > 0) return bytes.subarray(bytes.length + c).toString('utf8');
  if (c >= 0 && bytes.length > c) return bytes.subarray(0, c).toString('utf8');
  return text;
}

export const SPRIG_STRINGS: ReadonlyMap<string, GoFunction> = new Map<string, GoFunction>([
  ['trim', fn(['string'], ([s]) => trimSet(str(s), GO_SPACE))],
  ['upper', fn(['string'], ([s]) => str(s).toUpperCase())],
  ['lower', fn(['string'], ([s]) => str(s).toLowerCase())],
  ['title', fn(['string'], ([s]) => title(str(s)))],
  [
    'untitle',
    fn(['string'], ([s]) => {
      const t = str(s);
      return t ? t[0]?.toLowerCase() + t.slice(1) : t;
    }),
  ],
  ['substr', fn(['int', 'int', 'string'], ([a, b, s]) => substr(int(a), int(b), str(s)))],
  ['trunc', fn(['int', 'string'], ([c, s]) => trunc(int(c), str(s)))],
  ['repeat', fn(['int', 'string'], ([c, s], ctx) => repeat(int(c), str(s), ctx))],
  ['trimAll', fn(['string', 'string'], ([a, b]) => trimSet(str(b), str(a)))],
  ['trimall', fn(['string', 'string'], ([a, b]) => trimSet(str(b), str(a)))],
  [
    'trimSuffix',
    fn(['string', 'string'], ([a, b]) =>
      str(b).endsWith(str(a)) ? str(b).slice(0, str(b).length - str(a).length) : str(b),
    ),
  ],
  [
    'trimPrefix',
    fn(['string', 'string'], ([a, b]) => (str(b).startsWith(str(a)) ? str(b).slice(str(a).length) : str(b))),
  ],
  ['nospace', fn(['string'], ([s]) => [...str(s)].filter((c) => !GO_SPACE.includes(c)).join(''))],
  ['contains', fn(['string', 'string'], ([sub, s]) => str(s).includes(str(sub)))],
  ['hasPrefix', fn(['string', 'string'], ([sub, s]) => str(s).startsWith(str(sub)))],
  ['hasSuffix', fn(['string', 'string'], ([sub, s]) => str(s).endsWith(str(sub)))],
  [
    'quote',
    fn(
      [],
      (args) =>
        args
          .filter((a) => a !== undefined)
          .map((a) => goQuote(strval(a)))
          .join(' '),
      'any',
    ),
  ],
  [
    'squote',
    fn(
      [],
      (args) =>
        args
          .filter((a) => a !== undefined)
          .map((a) => `'${sprint([a])}'`)
          .join(' '),
      'any',
    ),
  ],
  [
    'cat',
    fn(
      [],
      (args) =>
        args
          .filter((a) => a !== undefined)
          .map((a) => sprint([a]))
          .join(' '),
      'any',
    ),
  ],
  ['indent', fn(['int', 'string'], ([n, s], ctx) => indent(int(n), str(s), ctx))],
  ['nindent', fn(['int', 'string'], ([n, s], ctx) => `\n${indent(int(n), str(s), ctx)}`)],
  [
    'replace',
    fn(['string', 'string', 'string'], ([o, n, s], ctx) => replaceAll(str(s), str(o), str(n), ctx)),
  ],
  ['plural', fn(['string', 'string', 'int'], ([one, many, count]) => (int(count) === 1n ? one : many))],
  ['toString', fn(['any'], ([v]) => strval(v))],
  ['split', fn(['string', 'string'], ([sep, s]) => splitMap(str(sep), str(s)))],
  ['splitList', fn(['string', 'string'], ([sep, s]) => goSplit(str(s), str(sep)))],
  ['splitn', fn(['string', 'int', 'string'], ([sep, n, s]) => splitMap(str(sep), str(s), Number(int(n))))],
  ['toStrings', fn(['any'], ([v]) => strslice(v))],
  ['join', fn(['string', 'any'], ([sep, v]) => strslice(v).join(str(sep)))],
  ['sortAlpha', fn(['any'], ([v]) => strslice(v).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)))],
]);

/** strings.Replace(s, old, new, -1): an empty `old` inserts `new` around every rune, as Go does. */
function replaceAll(text: string, old: string, replacement: string, ctx: CallContext): string {
  if (old === '') {
    const chars = [...text];
    ctx.reserve(text.length + replacement.length * (chars.length + 1));
    return replacement + chars.join(replacement) + (chars.length > 0 ? replacement : '');
  }
  const count = text.split(old).length - 1;
  ctx.reserve(text.length + count * Math.max(0, replacement.length - old.length));
  return text.split(old).join(replacement);
}
