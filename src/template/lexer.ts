/**
 * The scanner of Go's text/template (text/template/parse/lex.go), rewritten: the same tokens, the same trim
 * markers (`{{- ` trims the text before, ` -}}` the text after; the space is required, so `{{-3}}` is the number
 * -3), comments `{{/* … *\/}}` that must touch the delimiters, and actions that may span lines (Go ≥ 1.16).
 * Positions are string offsets; `Source` turns them into line:column for messages.
 */
export type TokenKind =
  | 'text'
  | 'leftDelim'
  | 'rightDelim'
  | 'space'
  | 'identifier'
  | 'field'
  | 'variable'
  | 'dot'
  | 'string'
  | 'rawString'
  | 'charConstant'
  | 'number'
  | 'bool'
  | 'nil'
  | 'pipe'
  | 'leftParen'
  | 'rightParen'
  | 'declare'
  | 'assign'
  | 'char'
  | 'eof'
  | 'error'
  | Keyword;

export type Keyword =
  'block' | 'break' | 'continue' | 'define' | 'else' | 'end' | 'if' | 'range' | 'template' | 'with';

export const KEYWORDS: ReadonlySet<string> = new Set<string>([
  'block',
  'break',
  'continue',
  'define',
  'else',
  'end',
  'if',
  'range',
  'template',
  'with',
]);

export interface Token {
  kind: TokenKind;
  /** Offset of the token in the template text. */
  pos: number;
  /** The token's text; for `error`, the message. */
  value: string;
}

const LEFT = '{{';
const RIGHT = '}}';
const SPACE = /[ \t\r\n]/;

export function isSpace(ch: string | undefined): boolean {
  return ch !== undefined && SPACE.test(ch);
}

/** Letters, digits and `_`, as Go's unicode.IsLetter / IsDigit. */
export function isAlphaNumeric(ch: string | undefined): boolean {
  return ch !== undefined && /^[\p{L}\p{Nd}_]$/u.test(ch);
}

function hasLeftTrimMarker(text: string, at: number): boolean {
  return text[at] === '-' && isSpace(text[at + 1]);
}

function hasRightTrimMarker(text: string, at: number): boolean {
  return isSpace(text[at]) && text[at + 1] === '-';
}

export class Lexer {
  private pos = 0;
  private start = 0;
  private parenDepth = 0;
  private state: 'text' | 'leftDelim' | 'action' | 'done' = 'text';

  constructor(private readonly text: string) {}

  /** All tokens up to and including `eof` or the first `error`. */
  tokens(): Token[] {
    const out: Token[] = [];
    for (;;) {
      const token = this.next();
      out.push(token);
      if (token.kind === 'eof' || token.kind === 'error') return out;
    }
  }

  private emit(kind: TokenKind): Token {
    const token = { kind, pos: this.start, value: this.text.slice(this.start, this.pos) };
    this.start = this.pos;
    return token;
  }

  private error(message: string): Token {
    this.state = 'done';
    return { kind: 'error', pos: this.start, value: message };
  }

  private next(): Token {
    for (;;) {
      if (this.state === 'done') return { kind: 'eof', pos: this.text.length, value: '' };
      const token =
        this.state === 'text'
          ? this.lexText()
          : this.state === 'leftDelim'
            ? this.lexLeftDelim()
            : this.lexInsideAction();
      if (token) return token;
    }
  }

  private atRightDelim(): { delim: boolean; trim: boolean } {
    if (hasRightTrimMarker(this.text, this.pos) && this.text.startsWith(RIGHT, this.pos + 2))
      return { delim: true, trim: true };
    if (this.text.startsWith(RIGHT, this.pos)) return { delim: true, trim: false };
    return { delim: false, trim: false };
  }

  private lexText(): Token | undefined {
    const x = this.text.indexOf(LEFT, this.pos);
    if (x < 0) {
      this.pos = this.text.length;
      this.state = 'done';
      if (this.pos > this.start) return this.emit('text');
      return { kind: 'eof', pos: this.pos, value: '' };
    }
    let end = x;
    if (hasLeftTrimMarker(this.text, x + LEFT.length)) {
      while (end > this.start && isSpace(this.text[end - 1])) end--;
    }
    if (end > this.start) {
      this.pos = end;
      const token = this.emit('text');
      this.pos = x;
      this.start = x;
      this.state = 'leftDelim';
      return token;
    }
    this.pos = x;
    this.start = x;
    return this.lexLeftDelim();
  }

  /** Scans `{{`, `{{- `, or a whole comment; returns the left delimiter token, or nothing for a comment. */
  private lexLeftDelim(): Token | undefined {
    this.pos += LEFT.length;
    const trim = hasLeftTrimMarker(this.text, this.pos);
    const afterMarker = trim ? 2 : 0;
    if (this.text.startsWith('/*', this.pos + afterMarker)) {
      this.pos += afterMarker;
      this.start = this.pos;
      return this.lexComment();
    }
    const token = this.emit('leftDelim');
    this.pos += afterMarker;
    this.start = this.pos;
    this.parenDepth = 0;
    this.state = 'action';
    return token;
  }

  private lexComment(): Token | undefined {
    this.pos += 2;
    const i = this.text.indexOf('*/', this.pos);
    if (i < 0) return this.error('unclosed comment');
    this.pos = i + 2;
    const { delim, trim } = this.atRightDelim();
    if (!delim) return this.error('comment ends before closing delimiter');
    if (trim) this.pos += 2;
    this.pos += RIGHT.length;
    if (trim) while (isSpace(this.text[this.pos])) this.pos++;
    this.start = this.pos;
    this.state = 'text';
    return undefined;
  }

  private lexRightDelim(trim: boolean): Token {
    if (trim) {
      this.pos += 2;
      this.start = this.pos;
    }
    this.pos += RIGHT.length;
    const token = this.emit('rightDelim');
    if (trim) {
      while (isSpace(this.text[this.pos])) this.pos++;
      this.start = this.pos;
    }
    this.state = 'text';
    return token;
  }

  private lexInsideAction(): Token | undefined {
    const { delim, trim } = this.atRightDelim();
    if (delim) {
      if (this.parenDepth === 0) return this.lexRightDelim(trim);
      return this.error('unclosed left paren');
    }
    const ch = this.text[this.pos];
    if (ch === undefined) return this.error('unclosed action');
    if (isSpace(ch)) return this.lexSpace();
    this.pos++;
    switch (ch) {
      case '=':
        return this.emit('assign');
      case ':':
        if (this.text[this.pos] !== '=') return this.error('expected :=');
        this.pos++;
        return this.emit('declare');
      case '|':
        return this.emit('pipe');
      case '"':
        return this.lexQuote();
      case '`':
        return this.lexRawQuote();
      case '$':
        return this.lexVariable();
      case "'":
        return this.lexChar();
      case '(':
        this.parenDepth++;
        return this.emit('leftParen');
      case ')':
        this.parenDepth--;
        if (this.parenDepth < 0) return this.error("unexpected right paren U+0029 ')'");
        return this.emit('rightParen');
    }
    if (ch === '.') {
      const after = this.text[this.pos];
      if (after === undefined || after < '0' || after > '9') return this.lexFieldOrVariable('field');
    }
    if (ch === '.' || ch === '+' || ch === '-' || (ch >= '0' && ch <= '9')) {
      this.pos--;
      return this.lexNumber();
    }
    if (isAlphaNumeric(ch)) {
      this.pos--;
      return this.lexIdentifier();
    }
    const code = ch.codePointAt(0) ?? 0;
    if (code < 0x7f && code >= 0x20) return this.emit('char');
    const full = String.fromCodePoint(this.text.codePointAt(this.pos - 1) ?? 0);
    return this.error(`unrecognized character in action: ${describeRune(full)}`);
  }

  private lexSpace(): Token | undefined {
    let spaces = 0;
    while (isSpace(this.text[this.pos])) {
      this.pos++;
      spaces++;
    }
    // A trim-marked right delimiter starts with a space: leave that space to it.
    if (hasRightTrimMarker(this.text, this.pos - 1) && this.text.startsWith(RIGHT, this.pos + 1)) {
      this.pos--;
      if (spaces === 1) return this.lexRightDelim(true);
    }
    return this.emit('space');
  }

  private atTerminator(): boolean {
    const ch = this.text[this.pos];
    if (ch === undefined || isSpace(ch)) return true;
    return '.,|:)('.includes(ch) || ch === RIGHT[0];
  }

  private lexIdentifier(): Token {
    while (isAlphaNumeric(this.charAt())) this.pos += this.charAt()?.length ?? 1;
    if (!this.atTerminator()) return this.error(`bad character ${describeRune(this.charAt() ?? '')}`);
    const word = this.text.slice(this.start, this.pos);
    if (KEYWORDS.has(word)) return this.emit(word as Keyword);
    if (word === 'true' || word === 'false') return this.emit('bool');
    if (word === 'nil') return this.emit('nil');
    return this.emit('identifier');
  }

  private charAt(): string | undefined {
    const code = this.text.codePointAt(this.pos);
    return code === undefined ? undefined : String.fromCodePoint(code);
  }

  private lexVariable(): Token {
    if (this.atTerminator()) return this.emit('variable');
    return this.lexFieldOrVariable('variable');
  }

  private lexFieldOrVariable(kind: 'field' | 'variable'): Token {
    if (this.atTerminator()) return this.emit(kind === 'variable' ? 'variable' : 'dot');
    while (isAlphaNumeric(this.charAt())) this.pos += this.charAt()?.length ?? 1;
    if (!this.atTerminator()) return this.error(`bad character ${describeRune(this.charAt() ?? '')}`);
    return this.emit(kind);
  }

  private lexChar(): Token {
    for (;;) {
      const ch = this.text[this.pos++];
      if (ch === '\\') {
        const escaped = this.text[this.pos++];
        if (escaped !== undefined && escaped !== '\n') continue;
      }
      if (ch === undefined || ch === '\n' || ch === '\\')
        return this.error('unterminated character constant');
      if (ch === "'") return this.emit('charConstant');
    }
  }

  private lexQuote(): Token {
    for (;;) {
      const ch = this.text[this.pos++];
      if (ch === '\\') {
        const escaped = this.text[this.pos++];
        if (escaped !== undefined && escaped !== '\n') continue;
      }
      if (ch === undefined || ch === '\n' || ch === '\\') return this.error('unterminated quoted string');
      if (ch === '"') return this.emit('string');
    }
  }

  private lexRawQuote(): Token {
    const end = this.text.indexOf('`', this.pos);
    if (end < 0) return this.error('unterminated raw quoted string');
    this.pos = end + 1;
    return this.emit('rawString');
  }

  private accept(valid: string): boolean {
    const ch = this.text[this.pos];
    if (ch !== undefined && valid.includes(ch)) {
      this.pos++;
      return true;
    }
    return false;
  }

  private acceptRun(valid: string): void {
    while (this.accept(valid));
  }

  /** Go's scanNumber: permissive here, strict when the parser converts the text. */
  private lexNumber(): Token {
    this.accept('+-');
    let digits = '0123456789_';
    if (this.accept('0')) {
      if (this.accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (this.accept('oO')) digits = '01234567_';
      else if (this.accept('bB')) digits = '01_';
    }
    this.acceptRun(digits);
    if (this.accept('.')) this.acceptRun(digits);
    if (digits.length === 11 && this.accept('eE')) {
      this.accept('+-');
      this.acceptRun('0123456789_');
    }
    if (digits.length === 23 && this.accept('pP')) {
      this.accept('+-');
      this.acceptRun('0123456789_');
    }
    this.accept('i');
    if (isAlphaNumeric(this.charAt())) {
      this.pos++;
      return this.error(`bad number syntax: ${JSON.stringify(this.text.slice(this.start, this.pos))}`);
    }
    const sign = this.text[this.pos];
    if (sign === '+' || sign === '-') {
      return this.error(
        `complex constants are not supported: ${JSON.stringify(this.text.slice(this.start, this.pos + 1))}`,
      );
    }
    return this.emit('number');
  }
}

/** Go's %#U: `U+0040 '@'`. */
export function describeRune(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')} '${ch}'`;
}
