import { fn, FunctionError, int, str, type CallContext, type GoFunction } from './function';
import { strval } from './sprig-strings';
import { checkDepth, GoMap, isTrue, type GoValue } from './values';

/**
 * sprig v3.2.3's defaults (defaults.go), lists and dicts (list.go, dict.go) and numbers (numeric.go). sprig's
 * `empty` is text/template's falsiness; `default` returns its first argument when the second is empty.
 */

function dict(args: GoValue[]): GoMap {
  const entries = new Map<string, GoValue>();
  for (let i = 0; i < args.length; i += 2) entries.set(strval(args[i]), args[i + 1]);
  return new GoMap(entries);
}

function asList(value: GoValue, name: string): GoValue[] {
  if (Array.isArray(value)) return value;
  throw new FunctionError(`Cannot ${name} on type ${value === undefined ? '<nil>' : typeof value}`);
}

function asMap(value: GoValue): GoMap {
  if (value instanceof GoMap) return value;
  throw new FunctionError('wrong type for value; expected map[string]interface {}');
}

/** sprig's toInt64 / toFloat64 through cast: strings parse (failing to 0), bools are 0/1, nil is 0. */
export function toInt64(value: GoValue): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? BigInt(Math.trunc(value)) : 0n;
  if (typeof value === 'boolean') return value ? 1n : 0n;
  if (typeof value === 'string') {
    const text = value.trim();
    if (/^[+-]?\d+$/.test(text)) return BigInt.asIntN(64, BigInt(text));
    if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(text))
      return BigInt.asIntN(64, BigInt(text.replace(/^([+-]?)0[xX]/, '$10x')));
    const float = Number(text);
    return text !== '' && Number.isFinite(float) ? BigInt(Math.trunc(float)) : 0n;
  }
  return 0n;
}

export function toFloat64(value: GoValue): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') {
    const float = Number(value.trim());
    return value.trim() !== '' && Number.isFinite(float) ? float : 0;
  }
  return 0;
}

function until(count: bigint, ctx: CallContext): bigint[] {
  return untilStep(0n, count, count < 0n ? -1n : 1n, ctx);
}

function untilStep(start: bigint, stop: bigint, step: bigint, ctx: CallContext): bigint[] {
  const out: bigint[] = [];
  if (step === 0n || (step > 0n && start >= stop) || (step < 0n && start <= stop)) return out;
  const count = (stop - start + step - (step > 0n ? 1n : -1n)) / step;
  ctx.step(Number(count));
  for (let i = start; step > 0n ? i < stop : i > stop; i += step) out.push(i);
  return out;
}

function uniq(list: GoValue[]): GoValue[] {
  const out: GoValue[] = [];
  for (const item of list) if (!out.some((seen) => deepEqual(seen, item))) out.push(item);
  return out;
}

/** reflect.DeepEqual over template values. */
export function deepEqual(a: GoValue, b: GoValue, depth = 0): boolean {
  checkDepth(depth);
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => deepEqual(v, b[i], depth + 1));
  }
  if (a instanceof GoMap && b instanceof GoMap) {
    return (
      a.size === b.size &&
      [...a.entries].every(([k, v]) => b.entries.has(k) && deepEqual(v, b.entries.get(k), depth + 1))
    );
  }
  return false;
}

export const SPRIG_DATA: ReadonlyMap<string, GoFunction> = new Map<string, GoFunction>([
  ['default', fn(['any'], ([d, given]) => (isTrue(given) ? given : d), 'any')],
  ['empty', fn(['any'], ([v]) => !isTrue(v))],
  ['coalesce', fn([], (args) => args.find(isTrue), 'any')],
  ['all', fn([], (args) => args.every(isTrue), 'any')],
  ['any', fn([], (args) => args.some(isTrue), 'any')],
  ['compact', fn(['any'], ([l]) => asList(l, 'compact').filter(isTrue))],
  ['ternary', fn(['any', 'any', 'bool'], ([t, f, cond]) => (cond ? t : f))],
  ['list', fn([], (args) => [...args], 'any')],
  ['tuple', fn([], (args) => [...args], 'any')],
  ['dict', fn([], dict, 'any')],
  [
    'get',
    fn(['any', 'string'], ([d, k]) => (asMap(d).entries.has(str(k)) ? asMap(d).entries.get(str(k)) : '')),
  ],
  [
    'set',
    fn(['any', 'string', 'any'], ([d, k, v]) => {
      asMap(d).entries.set(str(k), v);
      return d;
    }),
  ],
  [
    'unset',
    fn(['any', 'string'], ([d, k]) => {
      asMap(d).entries.delete(str(k));
      return d;
    }),
  ],
  ['hasKey', fn(['any', 'string'], ([d, k]) => asMap(d).entries.has(str(k)))],
  // Go visits map keys in random order; sorted keys give the same output on every install.
  ['keys', fn([], (args) => args.flatMap((d) => asMap(d).sortedKeys()), 'any')],
  ['values', fn(['any'], ([d]) => [...asMap(d).entries.values()])],
  [
    'pick',
    fn(
      ['any'],
      ([d, ...ks]) => new GoMap(new Map([...asMap(d).entries].filter(([k]) => ks.includes(k)))),
      'string',
    ),
  ],
  [
    'omit',
    fn(
      ['any'],
      ([d, ...ks]) => new GoMap(new Map([...asMap(d).entries].filter(([k]) => !ks.includes(k)))),
      'string',
    ),
  ],
  [
    'pluck',
    fn(
      ['string'],
      ([k, ...ds]) =>
        ds
          .map(asMap)
          .filter((d) => d.entries.has(str(k)))
          .map((d) => d.entries.get(str(k))),
      'any',
    ),
  ],
  ['merge', fn(['any'], ([dst, ...srcs]) => merge(asMap(dst), srcs.map(asMap), false), 'any')],
  ['mergeOverwrite', fn(['any'], ([dst, ...srcs]) => merge(asMap(dst), srcs.map(asMap), true), 'any')],
  ['first', fn(['any'], ([l]) => asList(l, 'first')[0])],
  ['last', fn(['any'], ([l]) => asList(l, 'last').at(-1))],
  ['rest', fn(['any'], ([l]) => (asList(l, 'rest').length === 0 ? undefined : asList(l, 'rest').slice(1)))],
  [
    'initial',
    fn(['any'], ([l]) => (asList(l, 'initial').length === 0 ? undefined : asList(l, 'initial').slice(0, -1))),
  ],
  ['append', fn(['any', 'any'], ([l, v]) => [...asList(l, 'push'), v])],
  ['push', fn(['any', 'any'], ([l, v]) => [...asList(l, 'push'), v])],
  ['prepend', fn(['any', 'any'], ([l, v]) => [v, ...asList(l, 'prepend')])],
  ['concat', fn([], (lists) => lists.flatMap((l) => asList(l, 'concat')), 'any')],
  ['reverse', fn(['any'], ([l]) => [...asList(l, 'reverse')].reverse())],
  ['uniq', fn(['any'], ([l]) => uniq(asList(l, 'uniq')))],
  [
    'without',
    fn(
      ['any'],
      ([l, ...omit]) => asList(l, 'without').filter((v) => !omit.some((o) => deepEqual(o, v))),
      'any',
    ),
  ],
  [
    'has',
    fn(['any', 'any'], ([needle, hay]) =>
      hay === undefined ? false : asList(hay, 'has').some((v) => deepEqual(v, needle)),
    ),
  ],
  ['until', fn(['int'], ([n], ctx) => until(int(n), ctx))],
  ['untilStep', fn(['int', 'int', 'int'], ([a, b, s], ctx) => untilStep(int(a), int(b), int(s), ctx))],
  ['atoi', fn(['string'], ([s]) => (/^[+-]?\d+$/.test(str(s)) ? BigInt.asIntN(64, BigInt(str(s))) : 0n))],
  ['int', fn(['any'], ([v]) => toInt64(v))],
  ['int64', fn(['any'], ([v]) => toInt64(v))],
  ['float64', fn(['any'], ([v]) => toFloat64(v))],
  ['add1', fn(['any'], ([v]) => BigInt.asIntN(64, toInt64(v) + 1n))],
  [
    'add',
    fn(
      [],
      (args) =>
        BigInt.asIntN(
          64,
          args.reduce<bigint>((sum, v) => sum + toInt64(v), 0n),
        ),
      'any',
    ),
  ],
  ['sub', fn(['any', 'any'], ([a, b]) => BigInt.asIntN(64, toInt64(a) - toInt64(b)))],
  [
    'mul',
    fn(
      ['any'],
      ([a, ...rest]) =>
        BigInt.asIntN(
          64,
          rest.reduce<bigint>((p, v) => p * toInt64(v), toInt64(a)),
        ),
      'any',
    ),
  ],
  ['div', fn(['any', 'any'], ([a, b]) => divide(toInt64(a), toInt64(b), 'div'))],
  ['mod', fn(['any', 'any'], ([a, b]) => divide(toInt64(a), toInt64(b), 'mod'))],
  [
    'max',
    fn(
      ['any'],
      ([a, ...rest]) => rest.reduce<bigint>((m, v) => (toInt64(v) > m ? toInt64(v) : m), toInt64(a)),
      'any',
    ),
  ],
  [
    'biggest',
    fn(
      ['any'],
      ([a, ...rest]) => rest.reduce<bigint>((m, v) => (toInt64(v) > m ? toInt64(v) : m), toInt64(a)),
      'any',
    ),
  ],
  [
    'min',
    fn(
      ['any'],
      ([a, ...rest]) => rest.reduce<bigint>((m, v) => (toInt64(v) < m ? toInt64(v) : m), toInt64(a)),
      'any',
    ),
  ],
]);

/** Go's integer division by zero panics; text/template reports the panic as the call's error. */
function divide(a: bigint, b: bigint, op: 'div' | 'mod'): bigint {
  if (b === 0n) throw new FunctionError('runtime error: integer divide by zero');
  return BigInt.asIntN(64, op === 'div' ? a / b : a % b);
}

/** mergo.Merge as sprig uses it: keys missing in dst are copied; with overwrite, every non-empty source value wins. */
function merge(dst: GoMap, srcs: GoMap[], overwrite: boolean): GoMap {
  for (const src of srcs) {
    for (const [key, value] of src.entries) {
      const current = dst.entries.get(key);
      if (current instanceof GoMap && value instanceof GoMap) merge(current, [value], overwrite);
      else if (!dst.entries.has(key) || !isTrue(current) || (overwrite && isTrue(value)))
        dst.entries.set(key, value);
    }
  }
  return dst;
}
