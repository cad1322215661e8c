/** Tags are at most 128 characters (distribution's tag grammar); names we match are repository:tag, ≤ 512. */
export const MAX_PATTERN_LENGTH = 1024;

/** A user's regular expression, checked so that matching a tag stays linear-ish (STYLE.md: bound backtracking). */
export interface TagPattern {
  source: string;
  test(value: string): boolean;
}

/**
 * Compiles `source` (skopeo's `images-by-tag-regex`, Go RE2 syntax, unanchored as Go's MatchString) for
 * JavaScript's backtracking engine, refusing what RE2 would not need to backtrack on but V8 would: a quantified
 * group that itself contains a quantifier (`(a+)+`, `(a|aa)*x`-style star height > 1, the classic catastrophic
 * patterns) and backreferences (RE2 has none). What remains backtracks at most polynomially on a 128-char tag.
 * Throws a plain Error with the reason; the caller adds the key path and line.
 */
export function compileTagPattern(source: string): TagPattern {
  if (source.length > MAX_PATTERN_LENGTH) throw new Error(`longer than ${MAX_PATTERN_LENGTH} characters`);
  checkStarHeight(source);
  let regex: RegExp;
  try {
    regex = new RegExp(source, 'u');
  } catch (err) {
    throw new Error(
      `not a regular expression (${(err as Error).message.replace(/^Invalid regular expression: /, '')})`,
      {
        cause: err,
      },
    );
  }
  return { source, test: (value) => regex.test(value) };
}

/** Refuses nested quantifiers and backreferences with one linear scan over the pattern. */
function checkStarHeight(source: string): void {
  // One frame per open group: whether something inside it is quantified (or may repeat through alternation).
  const groups: { quantified: boolean }[] = [];
  let inClass = false;
  let lastGroupQuantified = false;
  for (let at = 0; at < source.length; at++) {
    const char = source[at];
    if (char === '\\') {
      const next = source[at + 1] ?? '';
      if (!inClass && /[1-9k]/.test(next)) throw new Error('backreferences are not supported (RE2 has none)');
      at++;
      lastGroupQuantified = false;
      continue;
    }
    if (inClass) {
      if (char === ']') inClass = false;
      continue;
    }
    if (char === '[') {
      inClass = true;
      lastGroupQuantified = false;
    } else if (char === '(') {
      groups.push({ quantified: false });
      lastGroupQuantified = false;
    } else if (char === ')') {
      lastGroupQuantified = groups.pop()?.quantified ?? false;
      const parent = groups[groups.length - 1];
      if (parent && lastGroupQuantified) parent.quantified = true;
      continue;
    } else if (char === '*' || char === '+' || char === '?' || char === '{') {
      if (char === '?' && source[at - 1] === '(') continue; // (?: (?= (?<name>
      if (lastGroupQuantified && char !== '?') {
        throw new Error(
          'a repeated group contains a repetition (e.g. (a+)+), which can take exponential time',
        );
      }
      const frame = groups[groups.length - 1];
      if (frame) frame.quantified = true;
    } else {
      lastGroupQuantified = false;
    }
  }
}
