/**
 * Go's string literal rules (strconv.Quote / Unquote), used for string constants in templates, `printf "%q"` and
 * sprig's `quote`. Go strings are bytes; ours are UTF-16 and always valid text, so only valid UTF-8 arises.
 */

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

const NAMED: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};

/** strconv.Quote: a double-quoted Go string literal, non-printable runes escaped. */
export function goQuote(text: string, quote = '"'): string {
  let out = quote;
  for (const ch of text) {
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (PRINTABLE.test(ch)) out += ch;
    else out += escapeRune(ch);
  }
  return out + quote;
}

function escapeRune(ch: string): string {
  const named = NAMED[ch];
  if (named) return named;
  const code = ch.codePointAt(0) ?? 0;
  if (code < 0x20 || code === 0x7f) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code >= 0xd800 && code <= 0xdfff) return '\\ufffd';
  if (code < 0x10000) return `\\u${code.toString(16).padStart(4, '0')}`;
  return `\\U${code.toString(16).padStart(8, '0')}`;
}

export class UnquoteError extends Error {}

/** strconv.Unquote for "…", `…` and '…' literals; a rune literal yields its code point. */
export function goUnquote(literal: string): string {
  const quote = literal[0];
  if (literal.length < 2 || literal[literal.length - 1] !== quote) throw new UnquoteError('invalid syntax');
  const body = literal.slice(1, -1);
  if (quote === '`') {
    if (body.includes('`')) throw new UnquoteError('invalid syntax');
    return body.replace(/\r/g, '');
  }
  if (quote !== '"' && quote !== "'") throw new UnquoteError('invalid syntax');
  const bytes: number[] = [];
  let i = 0;
  while (i < body.length) {
    const ch = body[i] ?? '';
    if (ch === quote || ch === '\n') throw new UnquoteError('invalid syntax');
    if (ch !== '\\') {
      const code = body.codePointAt(i) ?? 0;
      const rune = String.fromCodePoint(code);
      bytes.push(...Buffer.from(rune, 'utf8'));
      i += rune.length;
      continue;
    }
    const kind = body[i + 1];
    i += 2;
    switch (kind) {
      case 'a':
        bytes.push(7);
        break;
      case 'b':
        bytes.push(8);
        break;
      case 'f':
        bytes.push(12);
        break;
      case 'n':
        bytes.push(10);
        break;
      case 'r':
        bytes.push(13);
        break;
      case 't':
        bytes.push(9);
        break;
      case 'v':
        bytes.push(11);
        break;
      case '\\':
        bytes.push(92);
        break;
      case '"':
      case "'":
        if (kind !== quote) throw new UnquoteError('invalid syntax');
        bytes.push(kind.charCodeAt(0));
        break;
      case 'x':
        bytes.push(hexDigits(body, i, 2));
        i += 2;
        break;
      case 'u':
      case 'U': {
        const n = kind === 'u' ? 4 : 8;
        const code = hexDigits(body, i, n);
        i += n;
        if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) throw new UnquoteError('invalid syntax');
        bytes.push(...Buffer.from(String.fromCodePoint(code), 'utf8'));
        break;
      }
      default: {
        if (kind !== undefined && kind >= '0' && kind <= '7') {
          const digits = body.slice(i - 1, i + 2);
          if (!/^[0-7]{3}$/.test(digits)) throw new UnquoteError('invalid syntax');
          const value = parseInt(digits, 8);
          if (value > 255) throw new UnquoteError('invalid syntax');
          bytes.push(value);
          i += 2;
          break;
        }
        throw new UnquoteError('invalid syntax');
      }
    }
  }
  const text = Buffer.from(bytes).toString('utf8');
  if (quote === "'" && [...text].length !== 1) throw new UnquoteError('invalid syntax');
  return text;
}

function hexDigits(text: string, at: number, n: number): number {
  const digits = text.slice(at, at + n);
  if (digits.length !== n || !/^[0-9a-fA-F]+$/.test(digits)) throw new UnquoteError('invalid syntax');
  return parseInt(digits, 16);
}
