/**
 * The wildcard language of `.dockerignore` lines and COPY sources, matched without backtracking. Docker turns an
 * ignore line into a Go regexp (moby/patternmatcher `Pattern.compile`) and Go's RE2 runs in linear time; a
 * JavaScript RegExp built the same way backtracks, and `*` repeated n times costs O(len^n) on a miss (issue 9:
 * eight stars took 5 s). So the pattern becomes a small NFA that is run Thompson-style over the path: a set of
 * states advanced one character at a time, O(path length × pattern length), whatever the pattern.
 *
 * Tokens (both dialects): `*` any run of characters but `/`, `?` one character but `/`, `[…]` a class (`^`
 * negates, `a-z` ranges, a `]` first is literal, `\` escapes), `\c` the character c, anything else itself.
 * The `ignore` dialect adds moby's `**`: inside the pattern (with a slash right after it) it matches any run
 * of characters ending in a slash, or nothing; at the end, any run (Go's `.`, so no newline). And `^`
 * outside a class stays what it is in moby's regexp, an anchor: it matches only at the start. In the `segment`
 * dialect (one path component of a COPY source, Go `filepath.Match`) `**` is two stars and `^` is literal.
 *
 * One deliberate difference from moby: `\d`, `\w`, `\s` (regexp classes once the line is a Go regexp) are the
 * letters d, w, s, as the Dockerfile reference documents ("escaping … as in filepath.Match").
 */
export type WildcardDialect = 'ignore' | 'segment';

/** One NFA state. `next` is the state after it; `test` decides which characters it consumes. */
type State =
  | { kind: 'char'; test: (code: number) => boolean; next: number }
  /** Consumes any number of characters that pass `test` (stays), or none (goes on to `next`). */
  | { kind: 'loop'; test: (code: number) => boolean; next: number }
  /** moby's inner `**` is a fork: skip it (`next`), or enter `dirs` (`alt`, the state right after the fork). */
  | { kind: 'fork'; alt: number; next: number }
  /** Inside an inner `**`: any characters (no newline), leaving only through a `/`. */
  | { kind: 'dirs'; next: number }
  /** `^` in an ignore line: passes only at the start of the path. */
  | { kind: 'anchor'; next: number };

const SLASH = 0x2f;
const notSlash = (code: number): boolean => code !== SLASH;
/** Go's regexp `.` (moby's `**`): any character but a newline, as RE2 has it without the `s` flag. */
const notNewline = (code: number): boolean => code !== 0x0a;

export class Wildcard {
  private readonly states: State[];
  /** Per state, the generation in which it was last added: a set without allocation per character. */
  private readonly seen: Int32Array;
  private generation = 0;
  /** The ε-closure's work list, reused. */
  private readonly pending: number[] = [];

  constructor(
    readonly pattern: string,
    dialect: WildcardDialect,
  ) {
    this.states = compile(pattern, dialect);
    this.seen = new Int32Array(this.states.length + 1);
  }

  /** Whether the whole of `text` matches. */
  matches(text: string): boolean {
    return this.run(text, false);
  }

  /**
   * Whether `text` or one of its parent paths (`a`, `a/b` for `a/b/c`) matches — moby `MatchesOrParentMatches`
   * for one pattern, in one pass: a parent matches when the accepting state is reached just before a `/`.
   */
  matchesSelfOrParent(text: string): boolean {
    return this.run(text, true);
  }

  private run(text: string, parents: boolean): boolean {
    const accept = this.states.length;
    let current: number[] = [];
    let next: number[] = [];
    this.generation++; // a fresh set: the last one of the previous run used the current mark
    this.add(current, 0, 0);
    for (let pos = 0; pos < text.length && current.length > 0; pos++) {
      const code = text.charCodeAt(pos);
      if (parents && code === SLASH && pos > 0 && this.has(accept)) return true;
      this.generation++;
      next.length = 0;
      for (const id of current) {
        const state = this.states[id];
        if (!state) continue;
        if (state.kind === 'char') {
          if (state.test(code)) this.add(next, state.next, pos + 1);
        } else if (state.kind === 'loop') {
          if (state.test(code)) this.add(next, id, pos + 1);
        } else if (state.kind === 'dirs' && notNewline(code)) {
          this.add(next, id, pos + 1);
          if (code === SLASH) this.add(next, state.next, pos + 1);
        }
      }
      [current, next] = [next, current];
    }
    return this.has(accept);
  }

  /** Adds `id` and every state reachable from it without consuming a character (the ε-closure). */
  private add(set: number[], id: number, pos: number): void {
    const mark = this.generation + 1;
    const pending = this.pending;
    pending.push(id);
    for (let at = pending.pop(); at !== undefined; at = pending.pop()) {
      if (this.seen[at] === mark) continue;
      this.seen[at] = mark;
      set.push(at);
      const state = this.states[at];
      if (state?.kind === 'loop' || (state?.kind === 'anchor' && pos === 0)) pending.push(state.next);
      else if (state?.kind === 'fork') pending.push(state.next, state.alt);
    }
  }

  private has(id: number): boolean {
    return this.seen[id] === this.generation + 1;
  }
}

/** The pattern as a chain of states; state i's `next` is i + 1 and the last one's is the accepting state. */
function compile(pattern: string, dialect: WildcardDialect): State[] {
  const states: State[] = [];
  const push = (make: (next: number) => State): void => {
    states.push(make(states.length + 1));
  };
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === '*' && dialect === 'ignore' && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') i++; // moby: a slash after ** belongs to it
      if (i + 1 >= pattern.length) {
        push((next) => ({ kind: 'loop', test: notNewline, next }));
      } else {
        push((next) => ({ kind: 'fork', alt: next, next: next + 1 }));
        push((next) => ({ kind: 'dirs', next }));
      }
    } else if (ch === '*') {
      push((next) => ({ kind: 'loop', test: notSlash, next }));
    } else if (ch === '?') {
      push((next) => ({ kind: 'char', test: notSlash, next }));
    } else if (ch === '[') {
      const { test, end } = parseClass(pattern, i);
      push((next) => ({ kind: 'char', test, next }));
      i = end;
    } else if (ch === '^' && dialect === 'ignore') {
      push((next) => ({ kind: 'anchor', next }));
    } else {
      // A trailing `\` is itself (moby leaves it alone).
      const literal = ch === '\\' && i + 1 < pattern.length ? (pattern[++i] as string) : ch;
      const code = literal.charCodeAt(0);
      push((next) => ({ kind: 'char', test: (c) => c === code, next }));
    }
  }
  return states;
}

/**
 * `[…]` starting at `open`: the test and the index of the closing `]`. Throws SyntaxError when the class is
 * not closed, as Go's regexp.Compile and filepath.Match (ErrBadPattern) refuse it.
 */
function parseClass(pattern: string, open: number): { test: (code: number) => boolean; end: number } {
  let i = open + 1;
  const negated = pattern[i] === '^';
  if (negated) i++;
  const ranges: number[] = [];
  for (let first = true; ; first = false) {
    if (i >= pattern.length) throw new SyntaxError(`unterminated character class in "${pattern}"`);
    if (pattern[i] === ']' && !first) break;
    const low = classChar(pattern, i);
    i = low.end;
    let high = low.code;
    if (pattern[i] === '-' && i + 1 < pattern.length && pattern[i + 1] !== ']') {
      const upper = classChar(pattern, i + 1);
      high = upper.code;
      i = upper.end;
      if (high < low.code) throw new SyntaxError(`invalid range in "${pattern}"`);
    }
    ranges.push(low.code, high);
  }
  const test = (code: number): boolean => {
    let inside = false;
    for (let r = 0; r < ranges.length && !inside; r += 2) {
      inside = code >= (ranges[r] as number) && code <= (ranges[r + 1] as number);
    }
    return inside !== negated;
  };
  return { test, end: i };
}

function classChar(pattern: string, at: number): { code: number; end: number } {
  if (pattern[at] === '\\' && at + 1 < pattern.length)
    return { code: pattern.charCodeAt(at + 1), end: at + 2 };
  return { code: pattern.charCodeAt(at), end: at + 1 };
}
