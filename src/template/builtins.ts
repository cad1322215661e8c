import { sprint, sprintf, sprintln } from './format';
import { fn, FunctionError, int, str, type GoFunction } from './function';
import { compareGoStrings, GoMap, goLength, goTypeName, isTrue, type GoValue } from './values';

/**
 * Go's predefined template functions (text/template/funcs.go): and, or, not, len, index, slice, print, printf,
 * println, html, js, urlquery, call and the comparisons, with Go's comparison rules: basic kinds only, any two
 * integers compare, int and float do not (`incompatible types for comparison`), and nil equals only nil.
 */
export const BUILTINS: ReadonlyMap<string, GoFunction> = new Map<string, GoFunction>([
  ['and', fn(['any'], () => undefined, 'any')],
  ['or', fn(['any'], () => undefined, 'any')],
  ['not', fn(['any'], ([arg]) => !isTrue(arg))],
  ['len', fn(['any'], ([item]) => BigInt(length(item)))],
  ['index', fn(['any'], ([item, ...indexes]) => index(item, indexes), 'any')],
  ['slice', fn(['any'], ([item, ...indexes]) => slice(item, indexes), 'any')],
  ['print', fn([], (args) => sprint(args), 'any')],
  ['printf', fn(['string'], ([format, ...args]) => sprintf(str(format), args), 'any')],
  ['println', fn([], (args) => sprintln(args), 'any')],
  ['html', fn([], (args) => htmlEscape(evalArgs(args)), 'any')],
  ['js', fn([], (args) => jsEscape(evalArgs(args)), 'any')],
  ['urlquery', fn([], (args) => queryEscape(evalArgs(args)), 'any')],
  ['call', fn(['any'], ([f]) => callRefused(f), 'any')],
  ['eq', fn(['any'], ([a, ...rest]) => eq(a, rest), 'any')],
  ['ne', fn(['any', 'any'], ([a, b]) => !eq(a, [b]))],
  ['lt', fn(['any', 'any'], ([a, b]) => lt(a, b))],
  ['le', fn(['any', 'any'], ([a, b]) => lt(a, b) || eq(a, [b]))],
  ['gt', fn(['any', 'any'], ([a, b]) => !(lt(a, b) || eq(a, [b])))],
  ['ge', fn(['any', 'any'], ([a, b]) => !lt(a, b))],
]);

function length(item: GoValue): number {
  if (typeof item === 'string' || item instanceof GoMap || Array.isArray(item)) return goLength(item);
  if (item === undefined) throw new FunctionError('len of nil pointer');
  throw new FunctionError(`len of type ${goTypeName(item)}`);
}

function indexArg(index: GoValue, cap: number): number {
  if (typeof index !== 'bigint') {
    if (index === undefined) throw new FunctionError('cannot index slice/array with nil');
    throw new FunctionError(`cannot index slice/array with type ${goTypeName(index)}`);
  }
  if (index < 0n || index > BigInt(cap)) throw new FunctionError(`index out of range: ${index}`);
  return Number(index);
}

function index(item: GoValue, indexes: GoValue[]): GoValue {
  if (item === undefined) throw new FunctionError('index of untyped nil');
  let current: GoValue = item;
  for (const i of indexes) {
    if (current === undefined) throw new FunctionError('index of nil pointer');
    if (typeof current === 'string') {
      const bytes: Buffer = Buffer.from(current, 'utf8');
      const x = indexArg(i, bytes.length);
      if (x === bytes.length) throw new FunctionError(`index out of range: ${x}`);
      current = BigInt(bytes[x] ?? 0);
    } else if (Array.isArray(current)) {
      const x = indexArg(i, current.length);
      if (x === current.length) throw new FunctionError(`index out of range: ${x}`);
      current = current[x];
    } else if (current instanceof GoMap) {
      if (typeof i !== 'string') {
        throw new FunctionError(
          i === undefined
            ? 'value is nil; should be of type string'
            : `value has type ${goTypeName(i)}; should be string`,
        );
      }
      // A missing key gives the element type's zero value: "" in sealos' map[string]string, nil otherwise.
      current = current.entries.has(i) ? current.entries.get(i) : current.elem === 'string' ? '' : undefined;
    } else {
      throw new FunctionError(`can't index item of type ${goTypeName(current)}`);
    }
  }
  return current;
}

function slice(item: GoValue, indexes: GoValue[]): GoValue {
  if (item === undefined) throw new FunctionError('slice of untyped nil');
  if (indexes.length > 3) throw new FunctionError(`too many slice indexes: ${indexes.length}`);
  if (typeof item === 'string') {
    if (indexes.length === 3) throw new FunctionError('cannot 3-index slice a string');
    const bytes = Buffer.from(item, 'utf8');
    const [from, to] = sliceBounds(indexes, bytes.length);
    return bytes.subarray(from, to).toString('utf8');
  }
  if (Array.isArray(item)) {
    const [from, to] = sliceBounds(indexes, item.length);
    return item.slice(from, to);
  }
  throw new FunctionError(`can't slice item of type ${goTypeName(item)}`);
}

function sliceBounds(indexes: GoValue[], len: number): [number, number] {
  const idx = [0, len, len];
  indexes.forEach((i, n) => {
    idx[n] = indexArg(i, len);
  });
  const [from = 0, to = len, max = len] = idx;
  if (from > to) throw new FunctionError(`invalid slice index: ${from} > ${to}`);
  if (indexes.length === 3 && to > max) throw new FunctionError(`invalid slice index: ${to} > ${max}`);
  return [from, to];
}

type Kind = 'invalid' | 'bool' | 'int' | 'float' | 'string';

function basicKind(value: GoValue): Kind {
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'number') return 'float';
  if (typeof value === 'string') return 'string';
  return 'invalid';
}

/** eq a b c…: a == b || a == c …, by Go's rules. */
export function eq(a: GoValue, others: GoValue[]): boolean {
  if (others.length === 0) throw new FunctionError('missing argument for comparison');
  const k1 = basicKind(a);
  for (const b of others) {
    const k2 = basicKind(b);
    if (k1 !== k2) {
      if (a !== undefined && b !== undefined) {
        throw new FunctionError(`incompatible types for comparison: ${goTypeName(a)} and ${goTypeName(b)}`);
      }
      continue;
    }
    if (k1 === 'invalid') {
      // Two non-basic values: only nil compares, and only with nil (maps and slices are not comparable).
      if (a === undefined && b === undefined) return true;
      if (a !== undefined && b !== undefined)
        throw new FunctionError(`non-comparable type ${formatForError(b)}: ${goTypeName(b)}`);
      continue;
    }
    if (a === b) return true;
  }
  return false;
}

function formatForError(value: GoValue): string {
  return sprint([value]);
}

function lt(a: GoValue, b: GoValue): boolean {
  const k1 = basicKind(a);
  const k2 = basicKind(b);
  if (k1 === 'invalid' || k2 === 'invalid') throw new FunctionError('invalid type for comparison');
  if (k1 !== k2)
    throw new FunctionError(`incompatible types for comparison: ${goTypeName(a)} and ${goTypeName(b)}`);
  if (k1 === 'bool') throw new FunctionError('invalid type for comparison');
  if (k1 === 'string') return compareGoStrings(str(a), str(b)) < 0;
  if (k1 === 'int') return int(a) < int(b);
  return (a as number) < (b as number);
}

/** evalArgs: fmt.Sprint of the arguments, a lone string as it is. */
function evalArgs(args: GoValue[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args);
}

/** HTMLEscapeString: `"`, `'`, `&`, `<`, `>` and NUL. */
function htmlEscape(text: string): string {
  return text.replace(
    /[\0"'&<>]/g,
    (c) => ({ '\0': '\ufffd', '"': '&#34;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c] ?? c,
  );
}

/** JSEscapeString: quotes, backslash, `<>&=` as \uXXXX, control characters, non-printable runes. */
function jsEscape(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (ch === '"') out += '\\"';
    else if ('<>&='.includes(ch)) out += `\\u00${code.toString(16).toUpperCase()}`;
    else if (code < 0x20) out += `\\u00${code.toString(16).toUpperCase().padStart(2, '0')}`;
    else if (code >= 0x80 && !/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch))
      out += `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

/** url.QueryEscape: unreserved bytes kept, space as `+`, the rest %XX. */
function queryEscape(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(ch)) out += ch;
    else if (ch === ' ') out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Template data holds no Go functions, so `call` can only fail, as Go's does on a non-function. */
function callRefused(f: GoValue): never {
  if (f === undefined) throw new FunctionError('call of nil');
  throw new FunctionError(`non-function of type ${goTypeName(f)}`);
}
