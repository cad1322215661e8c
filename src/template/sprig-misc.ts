import { fn, FunctionError, str, type GoFunction } from './function';
import { deepEqual, toInt64 } from './sprig-data';
import { GoMap, type GoValue } from './values';

/**
 * sprig's path functions (Go's path package: slash-separated, lexical), `fail`, `deepEqual`, `dig`, sprig's own
 * `slice` (lists only; it replaces Go's builtin once sprig's map is added), and `env`/`expandenv`, which read the
 * environment the caller passes (sealos reads its own process environment; kimg's renderer does no I/O).
 */

/** path.Clean: the shortest equivalent path, lexically. */
export function cleanPath(path: string): string {
  if (path === '') return '.';
  const rooted = path.startsWith('/');
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  if (rooted) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

function basePath(path: string): string {
  if (path === '') return '.';
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

function dirPath(path: string): string {
  const i = path.lastIndexOf('/');
  return cleanPath(path.slice(0, i + 1));
}

function extPath(path: string): string {
  for (let i = path.length - 1; i >= 0 && path[i] !== '/'; i--) if (path[i] === '.') return path.slice(i);
  return '';
}

/** os.Expand with a lookup: `$NAME`, `${NAME}`, one-character special names; `$` before nothing stays. */
export function expandEnv(text: string, lookup: (name: string) => string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch !== '$' || i + 1 >= text.length) {
      out += ch;
      i++;
      continue;
    }
    const rest = text.slice(i + 1);
    if (rest.startsWith('{')) {
      const close = rest.indexOf('}');
      if (close <= 1) {
        // "${}" is eaten; "${" without a close is eaten whole, as Go does.
        i += close < 0 ? text.length : close + 2;
        continue;
      }
      out += lookup(rest.slice(1, close));
      i += close + 2;
      continue;
    }
    if (/^[*#$@!?\-0-9]/.test(rest)) {
      out += lookup(rest[0] ?? '');
      i += 2;
      continue;
    }
    const name = /^[A-Za-z0-9_]+/.exec(rest)?.[0] ?? '';
    if (name === '') {
      out += '$';
      i++;
      continue;
    }
    out += lookup(name);
    i += 1 + name.length;
  }
  return out;
}

function dig(args: GoValue[]): GoValue {
  const dict = args.at(-1);
  const fallback = args.at(-2);
  const keys = args.slice(0, -2);
  if (!(dict instanceof GoMap))
    throw new FunctionError('wrong type for value; expected map[string]interface {}');
  let current: GoValue = dict;
  for (const key of keys) {
    if (typeof key !== 'string') throw new FunctionError('interface conversion: interface {} is not string');
    if (!(current instanceof GoMap) || !current.entries.has(key)) return fallback;
    current = current.entries.get(key);
  }
  return current;
}

function sprigSlice(list: GoValue, indices: GoValue[]): GoValue {
  if (!Array.isArray(list))
    throw new FunctionError(
      `list should be type of slice or array but ${list === undefined ? 'invalid' : typeof list === 'string' ? 'string' : 'map'}`,
    );
  if (list.length === 0) return undefined;
  const start = indices.length > 0 ? Number(toInt64(indices[0])) : 0;
  const end = indices.length > 1 ? Number(toInt64(indices[1])) : list.length;
  if (start < 0 || end > list.length || start > end)
    throw new FunctionError(`reflect: slice index out of range`);
  return list.slice(start, end);
}

export function sprigMisc(environment: Readonly<Record<string, string>>): Map<string, GoFunction> {
  const lookup = (name: string): string =>
    Object.prototype.hasOwnProperty.call(environment, name) ? (environment[name] ?? '') : '';
  return new Map<string, GoFunction>([
    ['base', fn(['string'], ([p]) => basePath(str(p)))],
    ['dir', fn(['string'], ([p]) => dirPath(str(p)))],
    ['clean', fn(['string'], ([p]) => cleanPath(str(p)))],
    ['ext', fn(['string'], ([p]) => extPath(str(p)))],
    ['isAbs', fn(['string'], ([p]) => str(p).startsWith('/'))],
    ['osBase', fn(['string'], ([p]) => basePath(str(p)))],
    ['osDir', fn(['string'], ([p]) => dirPath(str(p)))],
    ['osClean', fn(['string'], ([p]) => cleanPath(str(p)))],
    ['osExt', fn(['string'], ([p]) => extPath(str(p)))],
    ['osIsAbs', fn(['string'], ([p]) => str(p).startsWith('/'))],
    [
      'fail',
      fn(['string'], ([msg]) => {
        throw new FunctionError(str(msg));
      }),
    ],
    ['deepEqual', fn(['any', 'any'], ([a, b]) => deepEqual(a, b))],
    ['dig', fn(['any'], (args) => dig(args), 'any')],
    ['slice', fn(['any'], ([list, ...indices]) => sprigSlice(list, indices), 'any')],
    ['env', fn(['string'], ([name]) => lookup(str(name)))],
    ['expandenv', fn(['string'], ([text]) => expandEnv(str(text), lookup))],
  ]);
}
