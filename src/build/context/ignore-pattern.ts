import { posix } from 'node:path';

/**
 * One `.dockerignore` line, compiled as Docker compiles it (moby/patternmatcher `Pattern.compile`): Go
 * `filepath.Match` syntax — `*` and `?` never cross `/`, `[…]` classes with `^` negation, `\` escapes — plus
 * `**`, which matches any number of directories including none. The pattern must match the whole path.
 */
export interface IgnorePattern {
  /** The cleaned pattern text, without `!`. */
  text: string;
  /** A `!` line: re-includes what earlier lines excluded. */
  exclusion: boolean;
  /** 1-based line in the ignore file, for messages. */
  line: number;
  regexp: RegExp;
}

/** Regexp metacharacters that mean nothing in filepath.Match and must be literal. */
const LITERAL = new Set(['.', '+', '(', ')', '|', '{', '}', '$']);

/**
 * Compiles a pattern already cleaned (see cleanPattern). Throws SyntaxError for an unterminated class, as
 * filepath.Match returns ErrBadPattern.
 */
export function compilePattern(text: string): RegExp {
  let source = '^';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '*') {
      if (text[i + 1] === '*') {
        i++;
        if (text[i + 1] === '/') i++; // "**/" is "**"
        source += i + 1 >= text.length ? '.*' : '(.*/)?';
      } else {
        source += '[^/]*';
      }
    } else if (ch === '?') {
      source += '[^/]';
    } else if (ch === '\\') {
      source += i + 1 < text.length ? `\\${text[++i]}` : '\\\\';
    } else if (LITERAL.has(ch)) {
      source += `\\${ch}`;
    } else {
      source += ch;
    }
  }
  return new RegExp(`${source}$`);
}

/**
 * Docker's reading of a line (moby/buildkit `dockerignore.ReadAll`): `filepath.Clean`, then a leading `/` is
 * dropped — patterns are relative to the context root whatever their spelling.
 */
export function cleanPattern(text: string): string {
  let cleaned = posix.normalize(text);
  if (cleaned.length > 1 && cleaned.endsWith('/')) cleaned = cleaned.slice(0, -1);
  if (cleaned.length > 1 && cleaned.startsWith('/')) cleaned = cleaned.slice(1);
  return cleaned;
}

/**
 * `MatchesOrParentMatches`: the patterns are evaluated in order and the last one that matches the path or
 * one of its parent directories decides, so `dir` excludes everything below it and a later `!dir/keep`
 * brings one file back.
 */
export function isExcluded(path: string, patterns: readonly IgnorePattern[]): boolean {
  return excludingPattern(path, patterns) !== undefined;
}

/** The line that excludes `path` (the last to decide), or undefined when `path` is kept. */
export function excludingPattern(
  path: string,
  patterns: readonly IgnorePattern[],
): IgnorePattern | undefined {
  const parents = parentPaths(path);
  let decided: IgnorePattern | undefined;
  for (const pattern of patterns) {
    // An exception only matters once something matched; an exclusion only while nothing has.
    if (pattern.exclusion !== (decided !== undefined)) continue;
    if (pattern.regexp.test(path) || parents.some((parent) => pattern.regexp.test(parent))) {
      decided = pattern.exclusion ? undefined : pattern;
    }
  }
  return decided;
}

/** `a/b/c` → `a`, `a/b`. */
function parentPaths(path: string): string[] {
  const parts = path.split('/');
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
}
