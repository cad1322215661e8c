import type { NumberNode } from './nodes';

type ParsedNumber = Omit<NumberNode, 'type' | 'pos'>;

const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

/**
 * A number constant as Go's parse.newNumber reads it: integers in decimal, `0x`, `0o`, `0b` or legacy octal
 * (`017`), with `_` separators; floats in decimal notation. An integer is also a float, and a float with an
 * integral value is also an integer (`1e3`), but `idealConstant` makes anything with `.`, `e` or `p` a float64.
 * Returns the error message for text Go refuses. Imaginary and hex-float constants are not supported.
 */
export function parseNumber(text: string): ParsedNumber | string {
  const illegal = `illegal number syntax: ${JSON.stringify(text)}`;
  if (text.endsWith('i')) return `imaginary number constants are not supported: ${JSON.stringify(text)}`;
  const negative = text.startsWith('-');
  const body = text.replace(/^[+-]/, '');
  if (!validUnderscores(body)) return illegal;
  const digits = body.replace(/_/g, '');
  let int: bigint | undefined;
  const radix = /^0[xX]/.test(digits)
    ? 16
    : /^0[oO]/.test(digits)
      ? 8
      : /^0[bB]/.test(digits)
        ? 2
        : /^0\d/.test(digits)
          ? 8
          : 10;
  const intDigits =
    radix === 10 ? digits : radix === 8 && !/^0[oO]/.test(digits) ? digits.slice(1) : digits.slice(2);
  const pattern = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^\d+$/, 16: /^[0-9a-fA-F]+$/ }[radix];
  let overflows = false;
  if (pattern?.test(intDigits)) {
    const value = [...intDigits].reduce((acc, d) => acc * BigInt(radix) + BigInt(parseInt(d, radix)), 0n);
    const signed = negative ? -value : value;
    if (signed > INT64_MAX || signed < -INT64_MAX - 1n) overflows = !negative && value <= UINT64_MAX;
    else int = signed;
  }
  if (radix === 16 && /[pP.]/.test(digits))
    return `hexadecimal float constants are not supported: ${JSON.stringify(text)}`;
  let float: number | undefined;
  if (
    /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(digits) &&
    !(radix === 8 && /^0\d+$/.test(digits) && int === undefined)
  ) {
    float = Number(digits) * (negative ? -1 : 1);
    if (!Number.isFinite(float)) return illegal;
    if (int === undefined && Number.isInteger(float) && Math.abs(float) < 2 ** 63) int = BigInt(float);
  } else if (int !== undefined) {
    float = Number(int);
  }
  if (int === undefined && float === undefined && !overflows) return illegal;
  const floatSyntax = radix === 10 && /[.eE]/.test(digits);
  return { text, int, float, floatSyntax, overflows };
}

/** Go allows `_` only between digits or right after a base prefix. */
function validUnderscores(body: string): boolean {
  if (!body.includes('_')) return true;
  return !/__|_$|^_|_\.|\._|_[eE]|[eE]_/.test(body.replace(/^0[xXoObB]_/, '0x'));
}
