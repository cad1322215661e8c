/**
 * A linear-time matcher for Go's regexp (RE2) syntax, as sprig's regex functions need: a Pike VM, so a hostile
 * pattern cannot backtrack for ever the way JavaScript's RegExp can. Leftmost-first semantics, as Go's. Supported:
 * literals, `.`, classes with ranges, negation and POSIX names, `\d \w \s \b \A \z` and their negations, `^ $`,
 * groups (capturing, `(?:…)`, `(?P<name>…)`), alternation, `* + ? {n,m}` greedy and lazy, flags `i m s U`.
 * Unicode classes (`\pL`) are refused.
 */
export class RegexSyntaxError extends Error {}

type Test = (cp: number) => boolean;
type Assertion = 'bol' | 'eol' | 'bot' | 'eot' | 'wb' | 'nwb';
type Inst =
  | { op: 'char'; test: Test }
  | { op: 'split'; x: number; y: number }
  | { op: 'jmp'; x: number }
  | { op: 'save'; n: number }
  | { op: 'assert'; kind: Assertion }
  | { op: 'match' };

type RNode =
  | { t: 'char'; test: Test }
  | { t: 'cat'; items: RNode[] }
  | { t: 'alt'; items: RNode[] }
  | { t: 'rep'; node: RNode; min: number; max: number; greedy: boolean }
  | { t: 'group'; node: RNode; index?: number }
  | { t: 'assert'; kind: Assertion };

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  U: boolean;
}

const MAX_PROGRAM = 5000;
const MAX_REPEAT = 1000;

const isWord = (cp: number): boolean =>
  (cp >= 48 && cp <= 57) || (cp >= 65 && cp <= 90) || (cp >= 97 && cp <= 122) || cp === 95;
const isDigit = (cp: number): boolean => cp >= 48 && cp <= 57;
const isSpace = (cp: number): boolean => cp === 9 || cp === 10 || cp === 12 || cp === 13 || cp === 32;

const POSIX: Record<string, Test> = {
  alnum: (c) => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122),
  alpha: (c) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122),
  ascii: (c) => c <= 0x7f,
  blank: (c) => c === 9 || c === 32,
  cntrl: (c) => c < 32 || c === 127,
  digit: isDigit,
  graph: (c) => c >= 33 && c <= 126,
  lower: (c) => c >= 97 && c <= 122,
  print: (c) => c >= 32 && c <= 126,
  punct: (c) =>
    (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126),
  space: (c) => isSpace(c) || c === 11,
  upper: (c) => c >= 65 && c <= 90,
  word: isWord,
  xdigit: (c) => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102),
};

function fold(test: Test, flags: Flags): Test {
  if (!flags.i) return test;
  return (cp) => {
    const ch = String.fromCodePoint(cp);
    return (
      test(cp) || test(ch.toLowerCase().codePointAt(0) ?? cp) || test(ch.toUpperCase().codePointAt(0) ?? cp)
    );
  };
}

class RegexParser {
  private pos = 0;
  private lastCodePoint = 0;
  groups = 0;
  names = new Map<string, number>();
  private readonly chars: string[];

  constructor(pattern: string) {
    this.chars = [...pattern];
  }

  parse(): RNode {
    const node = this.alternation({ i: false, m: false, s: false, U: false });
    if (this.pos < this.chars.length) throw new RegexSyntaxError('unexpected )');
    return node;
  }

  private peek(): string | undefined {
    return this.chars[this.pos];
  }

  private alternation(flags: Flags): RNode {
    const items = [this.concat(flags)];
    while (this.peek() === '|') {
      this.pos++;
      items.push(this.concat(flags));
    }
    return items.length === 1 ? (items[0] as RNode) : { t: 'alt', items };
  }

  private concat(flags: Flags): RNode {
    const items: RNode[] = [];
    for (;;) {
      const ch = this.peek();
      if (ch === undefined || ch === '|' || ch === ')') break;
      if (
        ch === '(' &&
        this.chars[this.pos + 1] === '?' &&
        /^[imsU-]+\)/.test(this.chars.slice(this.pos + 2, this.pos + 12).join(''))
      ) {
        // (?flags) applies to the rest of the group.
        this.pos += 2;
        this.readFlags(flags);
        this.pos++;
        continue;
      }
      const atom = this.atom(flags);
      items.push(this.quantifier(atom, flags));
    }
    return { t: 'cat', items };
  }

  private readFlags(flags: Flags): void {
    let negate = false;
    while (this.peek() !== ')' && this.peek() !== ':') {
      const f = this.chars[this.pos++];
      if (f === '-') negate = true;
      else if (f === 'i' || f === 'm' || f === 's' || f === 'U') flags[f] = !negate;
      else throw new RegexSyntaxError(`invalid or unsupported Perl syntax: (?${f}`);
    }
  }

  private quantifier(atom: RNode, flags: Flags): RNode {
    const ch = this.peek();
    let min: number;
    let max: number;
    if (ch === '*') [min, max] = [0, Infinity];
    else if (ch === '+') [min, max] = [1, Infinity];
    else if (ch === '?') [min, max] = [0, 1];
    else if (ch === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.chars.slice(this.pos, this.pos + 20).join(''));
      if (!m) return atom;
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      if (min > MAX_REPEAT || (max !== Infinity && (max > MAX_REPEAT || max < min)))
        throw new RegexSyntaxError(`invalid repeat count: ${m[0]}`);
      this.pos += m[0].length - 1;
    } else return atom;
    this.pos++;
    let greedy = !flags.U;
    if (this.peek() === '?') {
      this.pos++;
      greedy = !greedy;
    }
    if (atom.t === 'assert' || (atom.t === 'cat' && atom.items.length === 0))
      throw new RegexSyntaxError('missing argument to repetition operator');
    const next = this.peek();
    if (next === '*' || next === '+' || next === '?')
      throw new RegexSyntaxError(`invalid nested repetition operator: ${ch}${next}`);
    return { t: 'rep', node: atom, min, max, greedy };
  }

  private atom(flags: Flags): RNode {
    const ch = this.chars[this.pos++] ?? '';
    switch (ch) {
      case '(': {
        let index: number | undefined;
        const inner: Flags = { ...flags };
        if (this.peek() === '?') {
          this.pos++;
          const named = /^(P?<)([A-Za-z0-9_]+)>/.exec(this.chars.slice(this.pos, this.pos + 80).join(''));
          if (named) {
            index = ++this.groups;
            this.names.set(named[2] ?? '', index);
            this.pos += named[0].length;
          } else {
            this.readFlags(inner);
            if (this.chars[this.pos++] !== ':')
              throw new RegexSyntaxError('missing argument to repetition operator');
          }
        } else index = ++this.groups;
        const node = this.alternation(inner);
        if (this.chars[this.pos++] !== ')') throw new RegexSyntaxError('missing closing )');
        return { t: 'group', node, index };
      }
      case '.':
        return { t: 'char', test: flags.s ? () => true : (cp) => cp !== 10 };
      case '^':
        return { t: 'assert', kind: flags.m ? 'bol' : 'bot' };
      case '$':
        return { t: 'assert', kind: flags.m ? 'eol' : 'eot' };
      case '[':
        return { t: 'char', test: fold(this.charClass(), flags) };
      case '\\':
        return this.escape(flags, false) as RNode;
      case '*':
      case '+':
      case '?':
        throw new RegexSyntaxError(`missing argument to repetition operator: ${ch}`);
      case ')':
        throw new RegexSyntaxError('unexpected )');
      default: {
        const cp = ch.codePointAt(0) ?? 0;
        return { t: 'char', test: fold((c) => c === cp, flags) };
      }
    }
  }

  /** An escape; inside a class only character escapes are allowed. */
  private escape(flags: Flags, inClass: boolean): RNode | Test {
    const ch = this.chars[this.pos++];
    if (ch === undefined) throw new RegexSyntaxError('trailing backslash at end of expression');
    const classes: Record<string, Test> = {
      d: isDigit,
      D: (c) => !isDigit(c),
      w: isWord,
      W: (c) => !isWord(c),
      s: isSpace,
      S: (c) => !isSpace(c),
    };
    const cls = classes[ch];
    if (cls) return inClass ? cls : { t: 'char', test: cls };
    if (!inClass) {
      const asserts: Record<string, Assertion> = { b: 'wb', B: 'nwb', A: 'bot', z: 'eot' };
      const kind = asserts[ch];
      if (kind) return { t: 'assert', kind };
    }
    const named: Record<string, number> = { n: 10, t: 9, r: 13, f: 12, v: 11, a: 7 };
    let cp: number;
    if (named[ch] !== undefined) cp = named[ch];
    else if (ch === 'x') {
      const m = /^(\{([0-9A-Fa-f]{1,6})\}|([0-9A-Fa-f]{2}))/.exec(
        this.chars.slice(this.pos, this.pos + 9).join(''),
      );
      if (!m) throw new RegexSyntaxError('invalid escape sequence: \\x');
      cp = parseInt(m[2] ?? m[3] ?? '0', 16);
      this.pos += m[0].length;
    } else if (/[\p{P}\p{S}]/u.test(ch)) cp = ch.codePointAt(0) ?? 0;
    else throw new RegexSyntaxError(`invalid escape sequence: \\${ch}`);
    this.lastCodePoint = cp;
    const test: Test = (c) => c === cp;
    return inClass ? test : { t: 'char', test: fold(test, flags) };
  }

  private charClass(): Test {
    const tests: Test[] = [];
    let negate = false;
    if (this.peek() === '^') {
      negate = true;
      this.pos++;
    }
    let first = true;
    while (this.peek() !== ']' || first) {
      first = false;
      if (this.peek() === undefined) throw new RegexSyntaxError('missing closing ]');
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(this.chars.slice(this.pos, this.pos + 12).join(''));
      if (posix) {
        const test = POSIX[posix[2] ?? ''];
        if (!test) throw new RegexSyntaxError(`invalid character class range: ${posix[0]}`);
        tests.push(posix[1] ? (c) => !test(c) : test);
        this.pos += posix[0].length;
        continue;
      }
      const low = this.classChar();
      if (typeof low !== 'number') {
        tests.push(low);
        continue;
      }
      if (this.peek() === '-' && this.chars[this.pos + 1] !== ']' && this.chars[this.pos + 1] !== undefined) {
        this.pos++;
        const high = this.classChar();
        if (typeof high !== 'number' || high < low)
          throw new RegexSyntaxError('invalid character class range');
        tests.push((c) => c >= low && c <= high);
      } else tests.push((c) => c === low);
    }
    this.pos++;
    return negate ? (c) => !tests.some((t) => t(c)) : (c) => tests.some((t) => t(c));
  }

  private classChar(): number | Test {
    const ch = this.chars[this.pos++] ?? '';
    if (ch !== '\\') return ch.codePointAt(0) ?? 0;
    const next = this.peek() ?? '';
    const escaped = this.escape({ i: false, m: false, s: false, U: false }, true) as Test;
    if ('dDwWsS'.includes(next)) return escaped;
    return this.lastCodePoint;
  }
}

export class Regex {
  private readonly prog: Inst[] = [];
  readonly groups: number;
  readonly names: ReadonlyMap<string, number>;

  constructor(readonly pattern: string) {
    const parser = new RegexParser(pattern);
    const tree = parser.parse();
    this.groups = parser.groups;
    this.names = parser.names;
    this.emit({ op: 'save', n: 0 });
    this.compile(tree);
    this.emit({ op: 'save', n: 1 });
    this.emit({ op: 'match' });
  }

  private emit(inst: Inst): number {
    if (this.prog.length >= MAX_PROGRAM) throw new RegexSyntaxError(`expression too large`);
    this.prog.push(inst);
    return this.prog.length - 1;
  }

  private compile(node: RNode): void {
    switch (node.t) {
      case 'char':
        this.emit({ op: 'char', test: node.test });
        return;
      case 'assert':
        this.emit({ op: 'assert', kind: node.kind });
        return;
      case 'cat':
        node.items.forEach((item) => this.compile(item));
        return;
      case 'group':
        if (node.index !== undefined) this.emit({ op: 'save', n: node.index * 2 });
        this.compile(node.node);
        if (node.index !== undefined) this.emit({ op: 'save', n: node.index * 2 + 1 });
        return;
      case 'alt': {
        const jumps: number[] = [];
        node.items.forEach((item, i) => {
          if (i < node.items.length - 1) {
            const split = this.emit({ op: 'split', x: 0, y: 0 });
            (this.prog[split] as { x: number }).x = split + 1;
            this.compile(item);
            jumps.push(this.emit({ op: 'jmp', x: 0 }));
            (this.prog[split] as { y: number }).y = this.prog.length;
          } else this.compile(item);
        });
        for (const j of jumps) (this.prog[j] as { x: number }).x = this.prog.length;
        return;
      }
      case 'rep': {
        for (let i = 0; i < node.min; i++) this.compile(node.node);
        if (node.max === Infinity) {
          const split = this.emit({ op: 'split', x: 0, y: 0 });
          this.compile(node.node);
          this.emit({ op: 'jmp', x: split });
          this.setSplit(split, split + 1, this.prog.length, node.greedy);
          return;
        }
        const splits: number[] = [];
        for (let i = node.min; i < node.max; i++) {
          const split = this.emit({ op: 'split', x: 0, y: 0 });
          splits.push(split);
          this.compile(node.node);
        }
        for (const split of splits) this.setSplit(split, split + 1, this.prog.length, node.greedy);
      }
    }
  }

  private setSplit(at: number, body: number, out: number, greedy: boolean): void {
    this.prog[at] = greedy ? { op: 'split', x: body, y: out } : { op: 'split', x: out, y: body };
  }

  /**
   * The leftmost-first match at or after `start` (indices into `text`, UTF-16), as capture positions, or
   * undefined. `step` is charged per thread per character, so the work is bounded by the caller.
   */
  exec(text: string, start: number, step: (n: number) => void): number[] | undefined {
    const slots = (this.groups + 1) * 2;
    let clist: { pc: number; caps: number[] }[] = [];
    let matched: number[] | undefined;
    let pos = start;
    for (;;) {
      if (!matched) this.addThread(clist, new Set(), 0, new Array<number>(slots).fill(-1), text, pos);
      step(clist.length + 1);
      const cp = pos < text.length ? (text.codePointAt(pos) ?? 0) : -1;
      const width = cp > 0xffff ? 2 : 1;
      const nlist: { pc: number; caps: number[] }[] = [];
      const seen = new Set<number>();
      for (const thread of clist) {
        const inst = this.prog[thread.pc];
        if (!inst) continue;
        if (inst.op === 'match') {
          matched = thread.caps;
          break;
        }
        if (inst.op === 'char' && cp >= 0 && inst.test(cp))
          this.addThread(nlist, seen, thread.pc + 1, thread.caps, text, pos + width);
      }
      if (cp < 0 || (nlist.length === 0 && matched)) break;
      clist = nlist;
      pos += width;
      if (clist.length === 0 && matched) break;
    }
    return matched;
  }

  private addThread(
    list: { pc: number; caps: number[] }[],
    seen: Set<number>,
    pc: number,
    caps: number[],
    text: string,
    pos: number,
  ): void {
    if (seen.has(pc)) return;
    seen.add(pc);
    const inst = this.prog[pc];
    if (!inst) return;
    switch (inst.op) {
      case 'jmp':
        this.addThread(list, seen, inst.x, caps, text, pos);
        return;
      case 'split':
        this.addThread(list, seen, inst.x, caps, text, pos);
        this.addThread(list, seen, inst.y, caps, text, pos);
        return;
      case 'save': {
        const copy = [...caps];
        copy[inst.n] = pos;
        this.addThread(list, seen, pc + 1, copy, text, pos);
        return;
      }
      case 'assert':
        if (assertion(inst.kind, text, pos)) this.addThread(list, seen, pc + 1, caps, text, pos);
        return;
      default:
        list.push({ pc, caps });
    }
  }
}

function assertion(kind: Assertion, text: string, pos: number): boolean {
  const before = pos > 0 ? text.codePointAt(pos - 1) : undefined;
  const after = pos < text.length ? text.codePointAt(pos) : undefined;
  switch (kind) {
    case 'bot':
      return pos === 0;
    case 'eot':
      return pos === text.length;
    case 'bol':
      return pos === 0 || before === 10;
    case 'eol':
      return pos === text.length || after === 10;
    case 'wb':
    case 'nwb': {
      const boundary = (before !== undefined && isWord(before)) !== (after !== undefined && isWord(after));
      return kind === 'wb' ? boundary : !boundary;
    }
  }
}
