/**
 * Variable substitution and quote removal for the instructions that expand (reference: "Environment
 * replacement"): `$V`, `${V}`, `${V:-word}`, `${V-word}`, `${V:+word}`, `${V+word}`, `${V:?msg}`, `${V?msg}`;
 * `'…'` is literal; inside `"…"` the escape character only escapes `"`, `$` and itself; elsewhere it makes the
 * next character literal (`\$V` is the text `$V`). An unset variable expands to the empty string, as in Docker.
 * Pure: no environment is read but `env`. The parser never calls it — the planner does, with the ARG/ENV in
 * force at each instruction.
 */
export type Env = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

export interface ExpandOptions {
  /** The escape character (`\` unless the `# escape=` directive says otherwise). */
  escape?: string;
  /** Keep quote characters (heredoc bodies: only variables are expanded). */
  keepQuotes?: boolean;
  /** `${…}` nested deeper than this is an error (default MAX_SUBSTITUTION_NESTING): the expander recurses. */
  maxDepth?: number;
  /** The result may be at most this many characters longer than the word (default MAX_SUBSTITUTION_GROWTH). */
  maxGrowth?: number;
}

/**
 * Hard bounds of one expansion. The parser reports nesting past KIMG_MAX_SUBSTITUTION_DEPTH (default 32) with
 * the line; this ceiling only keeps the recursion far from the stack's end. Growth: a 1 MiB word of `$A`s with
 * a 1 MiB A would otherwise build terabytes; no real value comes near (Linux refuses a single environment
 * string over 128 KiB, MAX_ARG_STRLEN).
 */
export const MAX_SUBSTITUTION_NESTING = 256;
export const MAX_SUBSTITUTION_GROWTH = 1024 * 1024;

export interface ExpandResult {
  value: string;
  /** Every variable the word referred to (in order, once each). */
  referenced: string[];
  /** Referenced variables that were not set. */
  unset: string[];
  /** Set when the word is malformed (`${`, `${V!x}`, unterminated quote) or `${V:?msg}` failed. */
  error?: { message: string; offset: number };
}

class ExpandError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** Shell special parameters BuildKit's lexer reads as one-character names. */
const SPECIAL = '@*#?$!';

export function expand(word: string, env: Env, options: ExpandOptions = {}): ExpandResult {
  const lexer = new Expander(word, env, options.escape ?? '\\', options.keepQuotes ?? false, {
    depth: options.maxDepth ?? MAX_SUBSTITUTION_NESTING,
    growth: options.maxGrowth ?? MAX_SUBSTITUTION_GROWTH,
  });
  try {
    return { value: lexer.until(undefined), referenced: [...lexer.referenced], unset: [...lexer.unset] };
  } catch (err) {
    const { message, offset } = err instanceof ExpandError ? err : { message: String(err), offset: 0 };
    return {
      value: '',
      referenced: [...lexer.referenced],
      unset: [...lexer.unset],
      error: { message, offset },
    };
  }
}

/** A name: letters, digits, `_` (not starting with a digit), or a digit run; sticky, read where the cursor is. */
const NAME = /[A-Za-z_][A-Za-z0-9_]*|[0-9]+/y;

class Expander {
  private i = 0;
  private depth = 0;
  readonly referenced = new Set<string>();
  readonly unset = new Set<string>();

  constructor(
    private readonly text: string,
    private readonly env: Env,
    private readonly escape: string,
    private readonly keepQuotes: boolean,
    private readonly max: { depth: number; growth: number },
  ) {}

  /** `out + piece`, refused once the result would pass the growth bound. */
  private append(out: string, piece: string): string {
    if (out.length + piece.length > this.text.length + this.max.growth) {
      throw new ExpandError(
        `the expansion grows the word by more than ${this.max.growth} characters (the substitution growth limit)`,
        this.i,
      );
    }
    return out + piece;
  }

  /** Reads up to `stop` (consumed) or the end of the text. */
  until(stop: string | undefined): string {
    let out = '';
    while (this.i < this.text.length) {
      const ch = this.text[this.i] ?? '';
      if (ch === stop) {
        this.i++;
        return out;
      }
      if (ch === this.escape) {
        this.i += 2;
        out += this.text[this.i - 1] ?? '';
      } else if (ch === "'" && !this.keepQuotes) {
        out += this.singleQuoted();
      } else if (ch === '"' && !this.keepQuotes) {
        out = this.append(out, this.doubleQuoted());
      } else if (ch === '$') {
        out = this.append(out, this.dollar());
      } else {
        out += ch;
        this.i++;
      }
    }
    if (stop !== undefined) throw new ExpandError(`missing "${stop}"`, this.text.length);
    return out;
  }

  private singleQuoted(): string {
    const start = this.i;
    const end = this.text.indexOf("'", start + 1);
    if (end === -1) throw new ExpandError('unterminated single quote', start);
    this.i = end + 1;
    return this.text.slice(start + 1, end);
  }

  private doubleQuoted(): string {
    const start = this.i++;
    let out = '';
    while (this.i < this.text.length) {
      const ch = this.text[this.i] ?? '';
      const next = this.text[this.i + 1] ?? '';
      if (ch === '"') {
        this.i++;
        return out;
      }
      if (ch === this.escape && (next === '"' || next === '$' || next === this.escape)) {
        out += next;
        this.i += 2;
      } else if (ch === '$') {
        out = this.append(out, this.dollar());
      } else {
        out += ch;
        this.i++;
      }
    }
    throw new ExpandError('unterminated double quote', start);
  }

  private dollar(): string {
    const start = this.i++;
    if (this.text[this.i] !== '{') {
      const name = this.name();
      return name === '' ? '$' : (this.lookup(name) ?? '');
    }
    this.i++;
    const name = this.name();
    if (name === '') throw new ExpandError('bad substitution: missing variable name', start);
    const value = this.lookup(name);
    let op = this.text[this.i] ?? '';
    if (this.i >= this.text.length) throw new ExpandError('missing "}"', this.text.length);
    if (op === '}') {
      this.i++;
      return value ?? '';
    }
    const colon = op === ':';
    if (colon) op = this.text[++this.i] ?? '';
    if (op !== '-' && op !== '+' && op !== '?') {
      throw new ExpandError(`unsupported modifier "${colon ? ':' : ''}${op}" in \${${name}}`, this.i);
    }
    this.i++;
    if (++this.depth > this.max.depth) {
      throw new ExpandError(`substitutions nested deeper than ${this.max.depth} levels`, start);
    }
    const word = this.until('}');
    this.depth--;
    const set = value !== undefined && (!colon || value !== '');
    if (op === '-') return set ? value : word;
    if (op === '+') return set ? word : '';
    if (!set) throw new ExpandError(word !== '' ? `${name}: ${word}` : `${name} is not set`, start);
    return value;
  }

  /** A name: letters, digits, `_` (not starting with a digit), a digit run, or one special parameter. */
  private name(): string {
    NAME.lastIndex = this.i;
    const match = NAME.exec(this.text);
    const first = this.text[this.i] ?? '';
    const name = match ? match[0] : first !== '' && SPECIAL.includes(first) ? first : '';
    this.i += name.length;
    return name;
  }

  private lookup(name: string): string | undefined {
    this.referenced.add(name);
    const value =
      this.env instanceof Map
        ? this.env.get(name)
        : Object.prototype.hasOwnProperty.call(this.env, name)
          ? (this.env as Readonly<Record<string, string>>)[name]
          : undefined;
    if (value === undefined) this.unset.add(name);
    return value;
  }
}
