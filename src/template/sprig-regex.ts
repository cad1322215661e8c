import { fn, FunctionError, int, str, type CallContext, type GoFunction } from './function';
import { Regex, RegexSyntaxError } from './regex';

/**
 * sprig's regex functions over kimg's linear-time matcher (regex.ts). As in sprig, regexMatch of a bad pattern is
 * false while the others fail (`regexp: Compile(...)`); the must* forms return the error.
 */

const MAX_PATTERN = 4096;

function compile(pattern: string): Regex {
  if (pattern.length > MAX_PATTERN)
    throw new FunctionError(`regexp: pattern longer than ${MAX_PATTERN} characters`);
  try {
    return new Regex(pattern);
  } catch (err) {
    if (err instanceof RegexSyntaxError)
      throw new FunctionError(
        `regexp: Compile(${JSON.stringify(pattern)}): error parsing regexp: ${err.message}`,
      );
    throw err;
  }
}

/** Go's allMatches: successive non-overlapping matches; an empty match right after a match is skipped. */
function allMatches(re: Regex, text: string, n: number, ctx: CallContext): number[][] {
  const out: number[][] = [];
  let prevEnd = -1;
  for (let pos = 0; pos <= text.length && (n < 0 || out.length < n);) {
    const m = re.exec(text, pos, (k) => ctx.step(k));
    if (!m) break;
    const [start = 0, end = 0] = m;
    let accept = true;
    if (end === pos) {
      if (start === prevEnd) accept = false;
      pos += pos < text.length ? ((text.codePointAt(pos) ?? 0) > 0xffff ? 2 : 1) : 1;
    } else pos = end;
    prevEnd = end;
    if (accept) out.push(m);
  }
  return out;
}

/** Regexp.Expand for ReplaceAllString: `$1`, `${1}`, `$name`, `${name}`, `$$`. */
function expand(template: string, re: Regex, text: string, m: number[]): string {
  return template.replace(
    /\$(\$|\{([A-Za-z0-9_]+)\}|[A-Za-z0-9_]+)/g,
    (whole, name: string, braced?: string) => {
      if (name === '$') return '$';
      const key = braced ?? name;
      if (whole.startsWith('${') && braced === undefined) return whole;
      const index = /^\d+$/.test(key) ? Number(key) : re.names.get(key);
      if (index === undefined || index > re.groups) return '';
      const start = m[index * 2] ?? -1;
      const end = m[index * 2 + 1] ?? -1;
      return start < 0 || end < 0 ? '' : text.slice(start, end);
    },
  );
}

function replaceAll(re: Regex, text: string, replacement: (m: number[]) => string, ctx: CallContext): string {
  let out = '';
  let lastEnd = 0;
  let searchPos = 0;
  while (searchPos <= text.length) {
    const m = re.exec(text, searchPos, (k) => ctx.step(k));
    if (!m) break;
    const [start = 0, end = 0] = m;
    out += text.slice(lastEnd, start);
    if (end > lastEnd || start === 0) out += replacement(m);
    ctx.reserve(out.length);
    lastEnd = end;
    const width = searchPos < text.length && (text.codePointAt(searchPos) ?? 0) > 0xffff ? 2 : 1;
    if (searchPos + width > end) searchPos += width;
    else searchPos = end;
  }
  return out + text.slice(lastEnd);
}

function split(re: Regex, text: string, n: number, ctx: CallContext): string[] {
  if (n === 0) return [];
  if (re.pattern.length > 0 && text.length === 0) return [''];
  const out: string[] = [];
  let beg = 0;
  let end = 0;
  for (const m of allMatches(re, text, n, ctx)) {
    if (n > 0 && out.length === n - 1) break;
    end = m[0] ?? 0;
    if ((m[1] ?? 0) !== 0) out.push(text.slice(beg, end));
    beg = m[1] ?? 0;
  }
  if (end !== text.length) out.push(text.slice(beg));
  return out;
}

const find = (re: Regex, text: string, ctx: CallContext): string => {
  const m = re.exec(text, 0, (k) => ctx.step(k));
  return m ? text.slice(m[0], m[1]) : '';
};

function quoteMeta(text: string): string {
  return text.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

function matchOrFalse(pattern: string, text: string, ctx: CallContext): boolean {
  let re: Regex;
  try {
    re = compile(pattern);
  } catch {
    return false;
  }
  return re.exec(text, 0, (k) => ctx.step(k)) !== undefined;
}

export const SPRIG_REGEX: ReadonlyMap<string, GoFunction> = new Map<string, GoFunction>([
  ['regexMatch', fn(['string', 'string'], ([p, s], ctx) => matchOrFalse(str(p), str(s), ctx))],
  [
    'mustRegexMatch',
    fn(
      ['string', 'string'],
      ([p, s], ctx) => compile(str(p)).exec(str(s), 0, (k) => ctx.step(k)) !== undefined,
    ),
  ],
  ['regexFind', fn(['string', 'string'], ([p, s], ctx) => find(compile(str(p)), str(s), ctx))],
  ['mustRegexFind', fn(['string', 'string'], ([p, s], ctx) => find(compile(str(p)), str(s), ctx))],
  [
    'regexFindAll',
    fn(['string', 'string', 'int'], ([p, s, n], ctx) =>
      allMatches(compile(str(p)), str(s), Number(int(n)), ctx).map((m) => str(s).slice(m[0], m[1])),
    ),
  ],
  [
    'mustRegexFindAll',
    fn(['string', 'string', 'int'], ([p, s, n], ctx) =>
      allMatches(compile(str(p)), str(s), Number(int(n)), ctx).map((m) => str(s).slice(m[0], m[1])),
    ),
  ],
  [
    'regexReplaceAll',
    fn(['string', 'string', 'string'], ([p, s, r], ctx) => replaceAllExpand(str(p), str(s), str(r), ctx)),
  ],
  [
    'mustRegexReplaceAll',
    fn(['string', 'string', 'string'], ([p, s, r], ctx) => replaceAllExpand(str(p), str(s), str(r), ctx)),
  ],
  [
    'regexReplaceAllLiteral',
    fn(['string', 'string', 'string'], ([p, s, r], ctx) =>
      replaceAll(compile(str(p)), str(s), () => str(r), ctx),
    ),
  ],
  [
    'mustRegexReplaceAllLiteral',
    fn(['string', 'string', 'string'], ([p, s, r], ctx) =>
      replaceAll(compile(str(p)), str(s), () => str(r), ctx),
    ),
  ],
  [
    'regexSplit',
    fn(['string', 'string', 'int'], ([p, s, n], ctx) => split(compile(str(p)), str(s), Number(int(n)), ctx)),
  ],
  [
    'mustRegexSplit',
    fn(['string', 'string', 'int'], ([p, s, n], ctx) => split(compile(str(p)), str(s), Number(int(n)), ctx)),
  ],
  ['regexQuoteMeta', fn(['string'], ([s]) => quoteMeta(str(s)))],
]);

function replaceAllExpand(pattern: string, text: string, template: string, ctx: CallContext): string {
  const re = compile(pattern);
  return replaceAll(re, text, (m) => expand(template, re, text, m), ctx);
}
