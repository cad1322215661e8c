import { isBlank } from './logical-line';

export interface JsonString {
  value: string;
  start: number;
  end: number;
}

export type JsonArrayResult =
  { ok: true; items: JsonString[]; end: number } | { ok: false; offset: number; message: string };

/**
 * Parses text[from, to) as a JSON array of strings, with the offset of every element — the exec form of
 * RUN/CMD/ENTRYPOINT/SHELL and the JSON form of COPY/ADD/VOLUME (reference: "Shell and exec form": "the exec
 * form is parsed as a JSON array, which means that you must use double-quotes"). Nothing may follow the `]`.
 */
export function parseJsonArray(text: string, from: number, to: number): JsonArrayResult {
  const items: JsonString[] = [];
  let i = skip(text, from, to);
  if (text[i] !== '[') return { ok: false, offset: i, message: 'expected "["' };
  i = skip(text, i + 1, to);
  if (text[i] === ']') return finish(text, i + 1, to, items);
  for (;;) {
    if (text[i] !== '"') {
      const what =
        text[i] === "'" ? 'single quotes are not JSON; use "double quotes"' : 'expected a "string"';
      return { ok: false, offset: i, message: i >= to ? 'unexpected end of the JSON array' : what };
    }
    const item = readString(text, i, to);
    if ('message' in item) return { ok: false, offset: item.offset, message: item.message };
    items.push(item);
    i = skip(text, item.end, to);
    if (text[i] === ',' && i < to) {
      i = skip(text, i + 1, to);
      continue;
    }
    if (text[i] === ']' && i < to) return finish(text, i + 1, to, items);
    return { ok: false, offset: i, message: i >= to ? 'missing "]"' : 'expected "," or "]"' };
  }
}

function finish(text: string, after: number, to: number, items: JsonString[]): JsonArrayResult {
  const rest = skip(text, after, to);
  if (rest < to) return { ok: false, offset: rest, message: 'unexpected text after "]"' };
  return { ok: true, items, end: after };
}

function readString(
  text: string,
  start: number,
  to: number,
): JsonString | { offset: number; message: string } {
  for (let i = start + 1; i < to; i++) {
    const ch = text.charCodeAt(i);
    if (ch < 0x20) return { offset: i, message: 'control character in a JSON string' };
    if (text[i] === '\\') {
      const next = text[i + 1] ?? '';
      if (next === 'u') {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6)) || i + 6 > to) {
          return { offset: i, message: 'invalid \\u escape in a JSON string' };
        }
        i += 5;
      } else if ('"\\/bfnrt'.includes(next) && next !== '' && i + 1 < to) {
        i++;
      } else {
        return { offset: i, message: `invalid escape "\\${next}" in a JSON string` };
      }
    } else if (text[i] === '"') {
      const value = decode(text.slice(start, i + 1));
      return value === undefined
        ? { offset: start, message: 'invalid JSON string' }
        : { value, start, end: i + 1 };
    }
  }
  return { offset: start, message: 'unterminated JSON string' };
}

function decode(token: string): string | undefined {
  try {
    const value: unknown = JSON.parse(token);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

function skip(text: string, from: number, to: number): number {
  let i = from;
  while (i < to && (isBlank(text[i] ?? '') || text[i] === '\n')) i++;
  return i;
}
