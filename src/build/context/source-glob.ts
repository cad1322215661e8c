import { KimgError } from '../../errors';

/**
 * COPY/ADD source patterns: Go `filepath.Match` per path component (`*`, `?`, `[…]` with `^` negation, `\`
 * escapes), as the Dockerfile reference specifies, plus BuildKit's `**` component for any number of
 * directories. Matching is against context-relative paths and never crosses a `/` except through `**`.
 */
export type PathMatcher = (path: string) => boolean;

/** Does the pattern need matching at all (an unescaped `*`, `?` or `[`)? */
export function hasGlob(pattern: string): boolean {
  return /(^|[^\\])[*?[]/.test(pattern);
}

export function compileGlob(pattern: string): PathMatcher {
  const segments = pattern
    .split('/')
    .map((segment) => (segment === '**' ? '**' : segmentRegExp(segment, pattern)));
  return (path) => matchSegments(segments, 0, path === '' ? [] : path.split('/'), 0);
}

function matchSegments(segments: (RegExp | '**')[], si: number, parts: string[], pi: number): boolean {
  if (si === segments.length) return pi === parts.length;
  const segment = segments[si] as RegExp | '**';
  if (segment === '**') {
    for (let skip = pi; skip <= parts.length; skip++) {
      if (matchSegments(segments, si + 1, parts, skip)) return true;
    }
    return false;
  }
  return (
    pi < parts.length && segment.test(parts[pi] as string) && matchSegments(segments, si + 1, parts, pi + 1)
  );
}

function segmentRegExp(segment: string, pattern: string): RegExp {
  let source = '^';
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i] as string;
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else if (ch === '\\' && i + 1 < segment.length) source += escape(segment[++i] as string);
    else if (ch === '[') {
      const close = classEnd(segment, i);
      if (close < 0) throw badPattern(pattern);
      source += `[${segment.slice(i + 1, close)}]`;
      i = close;
    } else source += escape(ch);
  }
  try {
    return new RegExp(`${source}$`, 's');
  } catch {
    throw badPattern(pattern);
  }
}

/** Index of the `]` closing the class opened at `open`, honouring `\` escapes; -1 when unterminated. */
function classEnd(segment: string, open: number): number {
  for (let i = open + 1; i < segment.length; i++) {
    if (segment[i] === '\\') i++;
    else if (segment[i] === ']' && i > open + 1) return i;
  }
  return -1;
}

function escape(ch: string): string {
  return /[.*+?^${}()|[\]\\/-]/.test(ch) ? `\\${ch}` : ch;
}

function badPattern(pattern: string): KimgError {
  return new KimgError(
    'INVALID_ARGUMENT',
    `invalid source pattern "${pattern}"`,
    'a "[" starts a character class that needs its "]"; write "\\[" for a literal bracket',
  );
}
