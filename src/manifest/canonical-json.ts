import { KimgError } from '../errors';

/**
 * The one encoding of the JSON documents kimg creates (configs, manifests, indexes), so the same value always
 * has the same bytes and therefore the same digest (image-spec considerations.md "Canonicalization").
 * It follows RFC 8785 (JCS): object keys sorted by UTF-16 code units (§3.2.3) at every level, no whitespace,
 * ECMAScript number and string serialization (§3.2.2), UTF-8 output. Go's encoding/json escapes <, > and & as
 * \u003c…; we do not, so a document re-encoded from Docker's bytes may differ — documents we only move are never
 * re-encoded.
 *
 * Values JSON.stringify would silently change are refused: undefined in arrays, NaN/Infinity, bigint, class
 * instances (Date, Buffer, Map…), cycles. `undefined` object members are left out, as optional fields are.
 */
export function canonicalJson(value: unknown): Buffer {
  return Buffer.from(encode(value, '$', new Set()), 'utf8');
}

function refuse(path: string, what: string): KimgError {
  return new KimgError(
    'INVALID_ARGUMENT',
    `cannot encode ${path} as canonical JSON: ${what}`,
    'build documents from plain objects, arrays, strings, finite numbers, booleans and null',
  );
}

function encode(value: unknown, path: string, ancestors: Set<object>): string {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw refuse(path, `${value} is not a JSON number`);
      return JSON.stringify(value);
    case 'object':
      if (value === null) return 'null';
      return encodeContainer(value, path, ancestors);
    default:
      throw refuse(path, `a ${typeof value} has no JSON form`);
  }
}

function encodeContainer(value: object, path: string, ancestors: Set<object>): string {
  if (ancestors.has(value)) throw refuse(path, 'the value contains itself');
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      // Array.from visits holes of sparse arrays (as undefined), which map would skip.
      const items = Array.from(value as unknown[], (item, i) => {
        if (item === undefined) throw refuse(`${path}[${i}]`, 'undefined in an array');
        return encode(item, `${path}[${i}]`, ancestors);
      });
      return `[${items.join(',')}]`;
    }
    if (!isPlainObject(value)) {
      throw refuse(path, `a ${value.constructor?.name ?? 'class'} instance is not a plain object`);
    }
    const record = value as Record<string, unknown>;
    const members = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort() // default sort compares UTF-16 code units, as RFC 8785 §3.2.3 requires
      .map((key) => `${JSON.stringify(key)}:${encode(record[key], `${path}.${key}`, ancestors)}`);
    return `{${members.join(',')}}`;
  } finally {
    ancestors.delete(value);
  }
}

/**
 * A plain object literal, also from another realm (structuredClone, vm contexts and worker messages give
 * objects whose prototype is another realm's Object.prototype).
 */
function isPlainObject(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype === null || prototype === Object.prototype) return true;
  return (
    Object.getPrototypeOf(prototype) === null &&
    (prototype as { constructor?: { name?: string } }).constructor?.name === 'Object'
  );
}
