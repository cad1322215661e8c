import { compileGlob } from '../../../src/build/context/source-glob';
import { ignoreRules, parseIgnoreFile } from '../../../src/build/context/ignore-file';
import { Wildcard } from '../../../src/build/context/wildcard';

/**
 * The regexp moby/patternmatcher builds for an ignore line (Pattern.compile), run by a backtracking engine:
 * the reference the linear matcher must agree with. Only used on tiny inputs, where backtracking is harmless.
 */
function mobyRegExp(pattern: string): RegExp {
  let source = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === '*' && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') i++;
      source += i + 1 >= pattern.length ? '.*' : '(.*/)?';
    } else if (ch === '*') source += '[^/]*';
    else if (ch === '?') source += '[^/]';
    else if (ch === '\\') source += i + 1 < pattern.length ? `\\${pattern[++i]}` : '\\\\';
    else if ('.+()|{}$'.includes(ch)) source += `\\${ch}`;
    else source += ch;
  }
  return new RegExp(`${source}$`);
}

/** A deterministic pseudo-random sequence (xorshift), so a failure reproduces. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

const PATTERN_TOKENS = ['a', 'b', '/', '*', '**', '**/', '?', '[ab]', '[^a]', '[a-b]', '\\*', '.', '^'];
const PATH_CHARS = ['a', 'b', '/', '*', '.', '\n'];

describe('wildcard matcher (no backtracking)', () => {
  it('agrees with the regexp moby compiles an ignore line into, on 20,000 random pattern/path pairs', () => {
    const next = random(9);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
    for (let n = 0; n < 20000; n++) {
      const pattern = Array.from({ length: 1 + Math.floor(next() * 6) }, () => pick(PATTERN_TOKENS)).join('');
      const path = Array.from({ length: Math.floor(next() * 7) }, () => pick(PATH_CHARS)).join('');
      const expected = mobyRegExp(pattern).test(path);
      if (new Wildcard(pattern, 'ignore').matches(path) !== expected) {
        throw new Error(
          `pattern ${JSON.stringify(pattern)} path ${JSON.stringify(path)}: expected ${expected}`,
        );
      }
    }
  });

  it.each([
    // [pattern, path, matches] — edges of the class syntax Go's regexp and filepath.Match share
    ['[]a]', ']', true], // a "]" first in a class is literal
    ['[^]a]', 'b', true],
    ['[^]a]', ']', false],
    ['[a-]', '-', true], // "-" last is literal
    ['[\\]]', ']', true], // escaped inside a class
    ['[^a]', '/', true], // a negated class may match "/" (moby's regexp; filepath.Match would not)
    ['a^b', 'a^b', false], // "^" stays an anchor in moby's regexp: never matches past the start
    ['^ab', 'ab', true],
    ['a\\', 'a\\', true], // a trailing backslash is itself
    ['x/**', 'x/a\nb', false], // a final ** is Go's ".*": no newline
    ['*', 'a\nb', true], // "*" is "[^/]*", which takes newlines
  ])('ignore %j against %j → %s', (pattern, path, matches) => {
    expect(new Wildcard(pattern, 'ignore').matches(path)).toBe(matches);
  });

  it('refuses an unterminated class as Go does (ErrBadPattern / regexp error)', () => {
    expect(() => new Wildcard('a[b', 'ignore')).toThrow(SyntaxError);
    expect(() => new Wildcard('[]', 'segment')).toThrow(SyntaxError);
  });

  it('matches a parent directory in the same pass (MatchesOrParentMatches)', () => {
    const wildcard = new Wildcard('a/*', 'ignore');
    expect(wildcard.matchesSelfOrParent('a/b/c/d')).toBe(true);
    expect(wildcard.matchesSelfOrParent('a')).toBe(false);
    expect(new Wildcard('b', 'ignore').matchesSelfOrParent('a/b')).toBe(false);
  });

  it('decides a .dockerignore line of 20 stars in milliseconds, hit or miss (was exponential: 8 stars, 5 s)', () => {
    const stars = `${'*a'.repeat(20)}*b`;
    const rules = ignoreRules(parseIgnoreFile(`${stars}\n`), undefined);
    const miss = 'a'.repeat(200);
    const hit = `${'a'.repeat(200)}b`;
    const started = performance.now();
    expect(rules.excludes(miss)).toBe(false);
    expect(rules.excludes(`dir/${miss}/x`)).toBe(false);
    expect(rules.excludes(hit)).toBe(true);
    expect(rules.excludes(`${hit}/below/it`)).toBe(true);
    expect(performance.now() - started).toBeLessThan(500); // ~5 ms idle; the old RegExp: hours
  });

  it('matches COPY sources with many stars and many ** components in milliseconds', () => {
    const starry = compileGlob(`${'*a'.repeat(20)}*b`);
    const deep = compileGlob(`${'**/'.repeat(30)}x`);
    const path = Array.from({ length: 60 }, () => 'd').join('/');
    const started = performance.now();
    expect(starry('a'.repeat(300))).toBe(false);
    expect(starry(`${'a'.repeat(300)}b`)).toBe(true);
    expect(deep(`${path}/y`)).toBe(false);
    expect(deep(`${path}/x`)).toBe(true);
    expect(deep('x')).toBe(true);
    expect(performance.now() - started).toBeLessThan(500); // ~5 ms idle; the old RegExp: hours
  });

  it.each([
    // COPY source semantics: filepath.Match per component plus BuildKit's ** component
    ['*.yaml', 'a.yaml', true],
    ['*.yaml', 'dir/a.yaml', false],
    ['dir/**/a.yaml', 'dir/a.yaml', true],
    ['dir/**/a.yaml', 'dir/x/y/a.yaml', true],
    ['**', '', true],
    ['a**b', 'axxb', true], // ** inside a component is two stars
    ['a**b', 'ax/xb', false],
    ['^a', '^a', true], // "^" is literal in filepath.Match
    ['[^a]', 'b', true],
  ])('source %j against %j → %s', (pattern, path, matches) => {
    expect(compileGlob(pattern)(path)).toBe(matches);
  });
});
