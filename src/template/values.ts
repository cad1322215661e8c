/**
 * Go values as text/template sees them, in JavaScript: `undefined` is Go's invalid value (a missing map key, an
 * untyped nil), `bigint` an int, `number` a float64, `string`, `boolean`, `GoMap` a map with string keys and
 * arrays a slice. Keeping int and float64 apart matters: `eq 1 1.0` is an error in Go and `printf "%d"` prints a
 * float as `%!d(float64=1)`.
 */
export type GoValue = undefined | string | bigint | number | boolean | GoMap | GoValue[];

/**
 * A Go map keyed by strings. `elem` is its element type: sealos renders with a `map[string]string`, where
 * `index . "missing"` yields "" (the zero string), while `map[string]interface{}` (dict, fromYaml) yields nil.
 */
export class GoMap {
  constructor(
    readonly entries: Map<string, GoValue>,
    readonly elem: 'string' | 'any' = 'any',
  ) {}

  /** Keys in Go's order for maps with string keys (fmtsort): byte-wise ascending. */
  sortedKeys(): string[] {
    return [...this.entries.keys()].sort(compareGoStrings);
  }

  get size(): number {
    return this.entries.size;
  }
}

/** Go compares strings byte-wise (UTF-8); JavaScript's `<` compares UTF-16 units. They differ above U+FFFF. */
export function compareGoStrings(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The Go type name used in error messages (`wrong type for value; expected string; got int`). */
export function goTypeName(value: GoValue): string {
  if (value === undefined) return '<nil>';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'number') return 'float64';
  if (typeof value === 'boolean') return 'bool';
  if (value instanceof GoMap)
    return value.elem === 'string' ? 'map[string]string' : 'map[string]interface {}';
  return '[]interface {}';
}

/** text/template's isTrue: the empty values are false, 0, nil, and empty strings, slices and maps. */
export function isTrue(value: GoValue): boolean {
  if (value === undefined) return false;
  if (typeof value === 'string') return value.length > 0;
  if (typeof value === 'bigint') return value !== 0n;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'boolean') return value;
  if (value instanceof GoMap) return value.size > 0;
  return value.length > 0;
}

/** Length in Go terms: bytes for a string (UTF-8), entries for a map, elements for a slice. */
export function goLength(value: string | GoMap | GoValue[]): number {
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (value instanceof GoMap) return value.size;
  return value.length;
}

/** Go's int is 64 bits: values past it wrap as in Go, so arithmetic matches what sealos computes. */
export function toInt64(value: bigint): bigint {
  return BigInt.asIntN(64, value);
}

export class ValueLimitError extends Error {}

/** Nesting allowed when a value is printed or encoded: a map that contains itself (`set $d "x" $d`) stops here. */
export const MAX_VALUE_DEPTH = 100;

export function checkDepth(depth: number): void {
  if (depth > MAX_VALUE_DEPTH)
    throw new ValueLimitError(`value nested deeper than ${MAX_VALUE_DEPTH} levels`);
}

/**
 * Data handed to a template (install's env, tests' fixtures) converted to Go values, with a depth bound: a map of
 * only strings becomes a `map[string]string`, as sealos' env is.
 */
export function fromJs(value: unknown, depth = 0): GoValue {
  if (depth > 64) throw new ValueLimitError('template data nested deeper than 64 levels');
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (value instanceof GoMap) return value;
  if (Array.isArray(value)) return value.map((item) => fromJs(item, depth + 1));
  if (value instanceof Map) {
    const entries = new Map<string, GoValue>();
    for (const [k, v] of value) entries.set(String(k), fromJs(v, depth + 1));
    return mapOf(entries);
  }
  if (typeof value === 'object') {
    const entries = new Map<string, GoValue>();
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      entries.set(k, fromJs(v, depth + 1));
    return mapOf(entries);
  }
  return String(value);
}

function mapOf(entries: Map<string, GoValue>): GoMap {
  const allStrings = [...entries.values()].every((v) => typeof v === 'string');
  return new GoMap(entries, allStrings ? 'string' : 'any');
}
