import { goQuote } from './go-quote';
import { checkDepth, GoMap, goTypeName, type GoValue } from './values';

/**
 * Go's fmt for the values templates hold: Sprint, Sprintln and Sprintf with the verbs templates use (%v %s %d
 * %q %t %x %X %o %b %c %e %f %g %U %%), flags (`-` `+` `#` `0` space), width and precision, and fmt's own
 * error forms (`%!d(string=hi)`, `%!s(MISSING)`, `%!(EXTRA int=1)`), which are output, not errors, in Go.
 */

/** fmt.Sprint: operands separated by a space when neither side is a string. */
export function sprint(args: GoValue[]): string {
  let out = '';
  args.forEach((arg, i) => {
    if (i > 0 && typeof arg !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += formatValue(arg, 'v', NO_FLAGS);
  });
  return out;
}

/** fmt.Sprintln: always a space between operands, and a newline. */
export function sprintln(args: GoValue[]): string {
  return `${args.map((arg) => formatValue(arg, 'v', NO_FLAGS)).join(' ')}\n`;
}

interface Flags {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  zero: boolean;
  space: boolean;
  width?: number;
  precision?: number;
}

const NO_FLAGS: Flags = { minus: false, plus: false, sharp: false, zero: false, space: false };

/** fmt.Sprintf. */
export function sprintf(format: string, args: GoValue[]): string {
  let out = '';
  let argIndex = 0;
  let i = 0;
  while (i < format.length) {
    const percent = format.indexOf('%', i);
    if (percent < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, percent);
    i = percent + 1;
    const flags: Flags = { ...NO_FLAGS };
    for (; i < format.length; i++) {
      const c = format[i];
      if (c === '-') {
        flags.minus = true;
        flags.zero = false;
      } else if (c === '+') flags.plus = true;
      else if (c === '#') flags.sharp = true;
      else if (c === '0') flags.zero = !flags.minus;
      else if (c === ' ') flags.space = true;
      else break;
    }
    const width = readNumber(format, i, args, argIndex);
    i = width.next;
    argIndex = width.argIndex;
    if (width.value !== undefined) {
      flags.width = Math.abs(width.value);
      if (width.value < 0) {
        flags.minus = true;
        flags.zero = false;
      }
    }
    if (format[i] === '.') {
      const precision = readNumber(format, i + 1, args, argIndex);
      i = precision.next;
      argIndex = precision.argIndex;
      flags.precision = precision.value !== undefined && precision.value >= 0 ? precision.value : 0;
    }
    const verbCode = format.codePointAt(i);
    if (verbCode === undefined) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(verbCode);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argIndex >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatValue(args[argIndex++], verb, flags);
  }
  if (argIndex < args.length) {
    const extra = args
      .slice(argIndex)
      .map((arg) => (arg === undefined ? '<nil>' : `${goTypeName(arg)}=${formatValue(arg, 'v', NO_FLAGS)}`));
    out += `%!(EXTRA ${extra.join(', ')})`;
  }
  return out;
}

function readNumber(
  format: string,
  at: number,
  args: GoValue[],
  argIndex: number,
): { value?: number; next: number; argIndex: number } {
  if (format[at] === '*') {
    const arg = args[argIndex];
    return { value: typeof arg === 'bigint' ? Number(arg) : undefined, next: at + 1, argIndex: argIndex + 1 };
  }
  let end = at;
  while (end < format.length && /[0-9]/.test(format[end] ?? '')) end++;
  if (end === at) return { next: at, argIndex };
  return { value: Math.min(Number(format.slice(at, end)), 1e6), next: end, argIndex };
}

/** One operand under one verb, padded to the width. */
export function formatValue(value: GoValue, verb: string, flags: Flags, depth = 0): string {
  checkDepth(depth);
  if (value instanceof GoMap) {
    if (verb === 'T') return pad(goTypeName(value), flags);
    const items = value
      .sortedKeys()
      .map(
        (k) =>
          `${formatValue(k, verb, flags, depth + 1)}:${formatValue(value.entries.get(k), verb, flags, depth + 1)}`,
      );
    return `map[${items.join(' ')}]`;
  }
  if (Array.isArray(value)) {
    if (verb === 'T') return pad(goTypeName(value), flags);
    return `[${value.map((item) => formatValue(item, verb, flags, depth + 1)).join(' ')}]`;
  }
  if (verb === 'T') return pad(value === undefined ? '<nil>' : goTypeName(value), flags);
  if (value === undefined) return verb === 'v' ? pad('<nil>', flags) : `%!${verb}(<nil>)`;
  if (typeof value === 'string') return formatString(value, verb, flags);
  if (typeof value === 'bigint') return formatInt(value, verb, flags);
  if (typeof value === 'number') return formatFloat(value, verb, flags);
  if (verb === 'v' || verb === 't') return pad(String(value), flags);
  return badVerb(value, verb);
}

function badVerb(value: GoValue, verb: string): string {
  return `%!${verb}(${goTypeName(value)}=${formatValue(value, 'v', NO_FLAGS)})`;
}

function runeCount(text: string): number {
  return [...text].length;
}

function pad(text: string, flags: Flags, zeroAllowed = false): string {
  const width = flags.width ?? 0;
  const missing = width - runeCount(text);
  if (missing <= 0) return text;
  if (flags.minus) return text + ' '.repeat(missing);
  if (flags.zero && zeroAllowed) {
    const sign = /^[+\- ]/.test(text) ? (text[0] ?? '') : '';
    return sign + '0'.repeat(missing) + text.slice(sign.length);
  }
  return ' '.repeat(missing) + text;
}

function formatString(value: string, verb: string, flags: Flags): string {
  const text = flags.precision !== undefined ? [...value].slice(0, flags.precision).join('') : value;
  switch (verb) {
    case 'v':
    case 's':
      return pad(text, flags, true);
    case 'q':
      if (flags.sharp && !/[`\p{Cc}]/u.test(text)) return pad(`\`${text}\``, flags);
      return pad(goQuote(text), flags);
    case 'x':
    case 'X': {
      const hex = Buffer.from(text, 'utf8').toString('hex');
      const cased = verb === 'X' ? hex.toUpperCase() : hex;
      return pad(flags.sharp ? `${verb === 'X' ? '0X' : '0x'}${cased}` : cased, flags);
    }
    default:
      return badVerb(value, verb);
  }
}

function formatInt(value: bigint, verb: string, flags: Flags): string {
  const negative = value < 0n;
  const magnitude = negative ? -value : value;
  let digits: string;
  let prefix = '';
  switch (verb) {
    case 'v':
    case 'd':
      digits = magnitude.toString(10);
      break;
    case 'b':
      digits = magnitude.toString(2);
      if (flags.sharp) prefix = '0b';
      break;
    case 'o':
      digits = magnitude.toString(8);
      if (flags.sharp) prefix = '0';
      break;
    case 'O':
      digits = magnitude.toString(8);
      prefix = '0o';
      break;
    case 'x':
      digits = magnitude.toString(16);
      if (flags.sharp) prefix = '0x';
      break;
    case 'X':
      digits = magnitude.toString(16).toUpperCase();
      if (flags.sharp) prefix = '0X';
      break;
    case 'c':
      return pad(runeOf(value), flags);
    case 'q':
      return pad(goQuote(runeOf(value), "'"), flags);
    case 'U': {
      const hex = magnitude.toString(16).toUpperCase().padStart(4, '0');
      return pad(`U+${hex}${flags.sharp ? ` '${runeOf(value)}'` : ''}`, flags);
    }
    default:
      if ('eEfFgG'.includes(verb)) return badVerb(value, verb);
      return badVerb(value, verb);
  }
  if (flags.precision !== undefined)
    digits = flags.precision === 0 && magnitude === 0n ? '' : digits.padStart(flags.precision, '0');
  const sign = negative ? '-' : flags.plus ? '+' : flags.space ? ' ' : '';
  return pad(sign + prefix + digits, flags, flags.precision === undefined);
}

function runeOf(value: bigint): string {
  const code = Number(value);
  if (code < 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return '\ufffd';
  return String.fromCodePoint(code);
}

function formatFloat(value: number, verb: string, flags: Flags): string {
  let text: string;
  switch (verb) {
    case 'v':
    case 'g':
    case 'G':
      text = flags.precision !== undefined ? goPrecision(value, flags.precision) : formatFloatG(value);
      if (verb === 'G') text = text.toUpperCase();
      break;
    case 'e':
    case 'E':
      text = goExponent(value.toExponential(flags.precision ?? 6));
      if (verb === 'E') text = text.toUpperCase();
      break;
    case 'f':
    case 'F':
      text = value.toFixed(Math.min(flags.precision ?? 6, 100));
      break;
    default:
      return badVerb(value, verb);
  }
  if (!Number.isFinite(value)) text = Number.isNaN(value) ? 'NaN' : value > 0 ? '+Inf' : '-Inf';
  if (text.startsWith('+') && !flags.plus) text = text.slice(1);
  else if (flags.plus && !text.startsWith('-') && !text.startsWith('+')) text = `+${text}`;
  else if (flags.space && !text.startsWith('-')) text = ` ${text}`;
  return pad(text, flags, Number.isFinite(value));
}

/** JavaScript writes `1e+6`; Go writes at least two exponent digits, `1e+06`. */
function goExponent(text: string): string {
  return text.replace(/e([+-])(\d)$/, 'e$10$2');
}

/**
 * strconv.FormatFloat(v, 'g', -1, 64), what %v prints: the shortest digits that round-trip, in %e form when the
 * exponent is below -4 or at least 6 (so 1e6 prints `1e+06`, as Go does).
 */
export function formatFloatG(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const exponent = Number(value.toExponential().split('e')[1] ?? '0');
  if (exponent < -4 || exponent >= 6) return goExponent(value.toExponential());
  return String(value);
}

function goPrecision(value: number, precision: number): string {
  if (!Number.isFinite(value)) return String(value);
  const p = precision === 0 ? 1 : precision;
  const [, exp = '0'] = value.toExponential(p - 1).split('e');
  const exponent = Number(exp);
  if (exponent < -4 || exponent >= p) return goExponent(trimZeros(value.toExponential(p - 1)));
  return trimZeros(value.toFixed(Math.max(p - 1 - exponent, 0)));
}

function trimZeros(text: string): string {
  return text.replace(/\.?0+(e|$)/, '$1').replace(/\.e/, 'e');
}
