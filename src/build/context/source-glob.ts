import { KimgError } from '../../errors';
import { Wildcard } from './wildcard';

/**
 * COPY/ADD source patterns: Go `filepath.Match` per path component (`*`, `?`, `[…]` with `^` negation, `\`
 * escapes), as the Dockerfile reference specifies, plus BuildKit's `**` component for any number of
 * directories. Matching is against context-relative paths and never crosses a `/` except through `**`; it
 * never backtracks (wildcard.ts), so a pattern costs time linear in the path whatever its stars.
 */
export type PathMatcher = (path: string) => boolean;

/** Does the pattern need matching at all (an unescaped `*`, `?` or `[`)? */
export function hasGlob(pattern: string): boolean {
  return /(^|[^\\])[*?[]/.test(pattern);
}

export function compileGlob(pattern: string): PathMatcher {
  const segments = pattern
    .split('/')
    .map((segment) => (segment === '**' ? '**' : segmentMatcher(segment, pattern)));
  return (path) => matchSegments(segments, path === '' ? [] : path.split('/'));
}

/**
 * Which path components each pattern segment can end at, segment by segment: O(segments × components), where
 * trying every split for every `**` recursively would be exponential in the number of `**`.
 */
function matchSegments(segments: readonly (Wildcard | '**')[], parts: readonly string[]): boolean {
  // reached[p]: the segments so far can match exactly parts[0, p).
  let reached = new Uint8Array(parts.length + 1);
  reached[0] = 1;
  for (const segment of segments) {
    const next = new Uint8Array(parts.length + 1);
    if (segment === '**') {
      const first = reached.indexOf(1);
      if (first === -1) return false;
      next.fill(1, first);
    } else {
      for (let p = 0; p < parts.length; p++) {
        if (reached[p] === 1 && segment.matches(parts[p] as string)) next[p + 1] = 1;
      }
    }
    reached = next;
  }
  return reached[parts.length] === 1;
}

function segmentMatcher(segment: string, pattern: string): Wildcard {
  try {
    return new Wildcard(segment, 'segment');
  } catch {
    throw badPattern(pattern);
  }
}

function badPattern(pattern: string): KimgError {
  return new KimgError(
    'INVALID_ARGUMENT',
    `invalid source pattern "${pattern}"`,
    'a "[" starts a character class that needs its "]"; write "\\[" for a literal bracket',
  );
}
