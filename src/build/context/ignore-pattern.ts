import { posix } from 'node:path';
import { Wildcard } from './wildcard';

/**
 * One `.dockerignore` line, compiled as Docker compiles it (moby/patternmatcher `Pattern.compile`): Go
 * `filepath.Match` syntax — `*` and `?` never cross `/`, `[…]` classes with `^` negation, `\` escapes — plus
 * `**`, which matches any number of directories including none. The pattern must match the whole path.
 * Matching runs without backtracking (wildcard.ts): linear in the path for any pattern.
 */
export interface IgnorePattern {
  /** The cleaned pattern text, without `!`. */
  text: string;
  /** A `!` line: re-includes what earlier lines excluded. */
  exclusion: boolean;
  /** 1-based line in the ignore file, for messages. */
  line: number;
  matcher: Wildcard;
}

/**
 * Compiles a pattern already cleaned (see cleanPattern). Throws SyntaxError for an unterminated class, as
 * filepath.Match returns ErrBadPattern.
 */
export function compilePattern(text: string): Wildcard {
  return new Wildcard(text, 'ignore');
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
  let decided: IgnorePattern | undefined;
  for (const pattern of patterns) {
    // An exception only matters once something matched; an exclusion only while nothing has.
    if (pattern.exclusion !== (decided !== undefined)) continue;
    if (pattern.matcher.matchesSelfOrParent(path)) decided = pattern.exclusion ? undefined : pattern;
  }
  return decided;
}
