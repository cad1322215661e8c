import { checkDepth, GoMap, type GoValue } from './values';

/**
 * encoding/json as sprig's and Helm's toJson use it: map keys sorted, `<`, `>`, `&`, U+2028 and U+2029 escaped
 * (unless `escapeHtml` is off, as toRawJson asks), floats in Go's notation. NaN and ±Inf cannot be encoded:
 * `undefined` is returned, as json.Marshal's error.
 */
export function goJson(
  value: GoValue,
  options: { indent?: string; escapeHtml?: boolean } = {},
): string | undefined {
  try {
    return encode(value, options.indent ?? '', '', options.escapeHtml ?? true);
  } catch (err) {
    if (err instanceof UnsupportedValue) return undefined;
    throw err;
  }
}

class UnsupportedValue extends Error {}

function encode(value: GoValue, indent: string, prefix: string, escapeHtml: boolean, depth = 0): string {
  checkDepth(depth);
  if (value === undefined) return 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new UnsupportedValue();
    return Object.is(value, -0) ? '-0' : JSON.stringify(value);
  }
  if (typeof value === 'string') return quote(value, escapeHtml);
  const inner = prefix + indent;
  const sep = indent ? `,\n${inner}` : ',';
  const open = indent ? `\n${inner}` : '';
  const close = indent ? `\n${prefix}` : '';
  if (value instanceof GoMap) {
    if (value.size === 0) return '{}';
    const items = value
      .sortedKeys()
      .map(
        (k) =>
          `${quote(k, escapeHtml)}:${indent ? ' ' : ''}${encode(value.entries.get(k), indent, inner, escapeHtml, depth + 1)}`,
      );
    return `{${open}${items.join(sep)}${close}}`;
  }
  if (value.length === 0) return '[]';
  return `[${open}${value.map((item) => encode(item, indent, inner, escapeHtml, depth + 1)).join(sep)}${close}]`;
}

function quote(text: string, escapeHtml: boolean): string {
  let out = JSON.stringify(text).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
  if (escapeHtml) out = out.replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
  return out;
}

/** json.Unmarshal into interface{}: numbers are float64, objects map[string]interface{}; depth bounded. */
export function fromGoJson(text: string, maxDepth = 128): GoValue {
  return toGo(JSON.parse(text) as unknown, 0, maxDepth);
}

export function toGo(value: unknown, depth: number, maxDepth: number): GoValue {
  if (depth > maxDepth) throw new Error(`exceeded max depth ${maxDepth}`);
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map((item) => toGo(item, depth + 1, maxDepth));
  if (value instanceof Map) {
    return new GoMap(new Map([...value].map(([k, v]) => [String(k), toGo(v, depth + 1, maxDepth)])));
  }
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    return new GoMap(new Map(Object.entries(value).map(([k, v]) => [k, toGo(v, depth + 1, maxDepth)])));
  }
  return String(value);
}
