import { goUnquote, UnquoteError } from './go-quote';
import { KEYWORDS, Lexer, type Token, type TokenKind } from './lexer';
import type { ArgNode, CommandNode, ListNode, Node, NumberNode, PipeNode } from './nodes';
import { parseNumber } from './number';

/** A parse error at an offset of the template text; `index.ts` turns it into `NAME:LINE:COL: message`. */
export class TemplateFault extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message);
  }
}

export interface FunctionCheck {
  /** The function exists and kimg implements it. */
  has(name: string): boolean;
  /** Why a name is refused: a sprig function kimg does not implement, or no function at all. */
  refusal(name: string): string;
}

export interface ParsedTemplates {
  root: ListNode;
  /** `{{define}}` and `{{block}}` templates by name. */
  defined: Map<string, ListNode>;
}

/** Bound on nested parentheses, as Go's maxStackDepth (10,000 there; templates never need more than a few). */
const MAX_PAREN_DEPTH = 100;
/** Bound on nested control structures (if/range/with/define), so the recursive descent never overflows. */
const MAX_NESTING = 200;

/**
 * The recursive-descent parser of Go's text/template/parse/parse.go, rewritten: pipelines and declarations,
 * `if`/`else if`/`with`/`else with`/`range` with `else`, `break`/`continue` inside `range`, `define`, `block` and
 * `template`, and the same parse-time checks (undefined variables, unknown functions, non-executable commands in
 * a pipeline).
 */
export class Parser {
  private readonly tokens: Token[];
  private index = 0;
  private vars: string[] = ['$'];
  private rangeDepth = 0;
  private parenDepth = 0;
  private nesting = 0;
  private readonly defined = new Map<string, ListNode>();

  constructor(
    text: string,
    private readonly functions: FunctionCheck,
  ) {
    this.tokens = new Lexer(text).tokens();
  }

  parse(): ParsedTemplates {
    const root: ListNode = { nodes: [] };
    while (this.peek().kind !== 'eof') {
      if (this.peek().kind === 'leftDelim') {
        const save = this.index;
        this.next();
        if (this.nextNonSpace().kind === 'define') {
          this.parseDefinition();
          continue;
        }
        this.index = save;
      }
      const start = this.peek();
      const node = this.textOrAction();
      if (node === 'end' || node === 'else') this.fail(`unexpected {{${node}}}`, start);
      root.nodes.push(node);
    }
    this.checkToken(this.peek());
    return { root, defined: this.defined };
  }

  private peek(): Token {
    return this.tokens[this.index] ?? { kind: 'eof', pos: 0, value: '' };
  }

  private next(): Token {
    const token = this.peek();
    if (this.index < this.tokens.length - 1) this.index++;
    else this.index = this.tokens.length;
    return token;
  }

  private nextNonSpace(): Token {
    let token = this.next();
    while (token.kind === 'space') token = this.next();
    this.checkToken(token);
    return token;
  }

  private peekNonSpace(): Token {
    const save = this.index;
    const token = this.nextNonSpace();
    this.index = save;
    return token;
  }

  private checkToken(token: Token): void {
    if (token.kind === 'error') throw new TemplateFault(token.value, token.pos);
  }

  private fail(message: string, token?: Token): never {
    throw new TemplateFault(message, (token ?? this.peek()).pos);
  }

  private unexpected(token: Token, context: string): never {
    this.checkToken(token);
    this.fail(`unexpected ${describe(token)} in ${context}`, token);
  }

  private expect(kind: TokenKind, context: string): Token {
    const token = this.nextNonSpace();
    if (token.kind !== kind) this.unexpected(token, context);
    return token;
  }

  private enter(token: Token): void {
    if (++this.nesting > MAX_NESTING)
      this.fail(`control structures nested deeper than ${MAX_NESTING}`, token);
  }

  private templateName(token: Token, context: string): string {
    if (token.kind !== 'string' && token.kind !== 'rawString') this.unexpected(token, context);
    return this.unquote(token);
  }

  private unquote(token: Token): string {
    try {
      return goUnquote(token.value);
    } catch (err) {
      if (err instanceof UnquoteError) this.fail(err.message, token);
      throw err;
    }
  }

  private addDefinition(name: string, list: ListNode, token: Token): void {
    const existing = this.defined.get(name);
    if (existing && !isEmptyList(existing) && !isEmptyList(list)) {
      this.fail(`template: multiple definition of template ${JSON.stringify(name)}`, token);
    }
    if (!existing || isEmptyList(existing)) this.defined.set(name, list);
  }

  /** `{{define "name"}} … {{end}}`; the `define` keyword is past. Definitions start with only `$` in scope. */
  private parseDefinition(): void {
    const context = 'define clause';
    const nameToken = this.nextNonSpace();
    const name = this.templateName(nameToken, context);
    this.expect('rightDelim', context);
    const outer = this.vars;
    this.vars = ['$'];
    this.enter(nameToken);
    const { list, end } = this.itemList();
    this.nesting--;
    this.vars = outer;
    if (end.node !== 'end') this.fail(`unexpected {{${end.node}}} in ${context}`, end.token);
    this.addDefinition(name, list, nameToken);
  }

  /** Nodes up to `{{end}}` or `{{else}}`, which is returned separately. */
  private itemList(): { list: ListNode; end: { node: 'end' | 'else'; token: Token } } {
    const list: ListNode = { nodes: [] };
    while (this.peekNonSpace().kind !== 'eof') {
      const start = this.peek();
      const node = this.textOrAction();
      if (node === 'end' || node === 'else') return { list, end: { node, token: start } };
      list.nodes.push(node);
    }
    this.fail('unexpected EOF', this.peek());
  }

  private textOrAction(): Node | 'end' | 'else' {
    const token = this.nextNonSpace();
    if (token.kind === 'text') return { type: 'text', pos: token.pos, text: token.value };
    if (token.kind === 'leftDelim') return this.action();
    this.unexpected(token, 'input');
  }

  /** An action; the left delimiter is past. The first word may be a keyword. */
  private action(): Node | 'end' | 'else' {
    const token = this.nextNonSpace();
    switch (token.kind) {
      case 'block':
        return this.blockControl(token);
      case 'break':
      case 'continue': {
        const close = this.nextNonSpace();
        if (close.kind !== 'rightDelim') this.unexpected(close, `{{${token.kind}}}`);
        if (this.rangeDepth === 0) this.fail(`{{${token.kind}}} outside {{range}}`, token);
        return { type: token.kind, pos: token.pos };
      }
      case 'else':
        return this.elseControl();
      case 'end':
        this.expect('rightDelim', 'end');
        return 'end';
      case 'if':
      case 'with':
      case 'range':
        return this.control(token);
      case 'template':
        return this.templateControl();
    }
    this.index--;
    const start = this.peekNonSpace();
    return { type: 'action', pos: start.pos, pipe: this.pipeline('command', 'rightDelim') };
  }

  /** `{{else}}`, or `{{else if …}}` / `{{else with …}}`, which leave the `if`/`with` token pending. */
  private elseControl(): 'else' {
    const peek = this.peekNonSpace();
    if (peek.kind === 'if' || peek.kind === 'with') return 'else';
    this.expect('rightDelim', 'else');
    return 'else';
  }

  private control(token: Token): Node {
    const context = token.kind as 'if' | 'with' | 'range';
    this.enter(token);
    const mark = this.vars.length;
    const pipe = this.pipeline(context, 'rightDelim');
    if (context === 'range') this.rangeDepth++;
    const { list, end } = this.itemList();
    if (context === 'range') this.rangeDepth--;
    let elseList: ListNode | undefined;
    if (end.node === 'else') {
      const pending = this.peekNonSpace();
      if ((context === 'if' && pending.kind === 'if') || (context === 'with' && pending.kind === 'with')) {
        // `{{if a}}…{{else if b}}…{{end}}` is `{{if a}}…{{else}}{{if b}}…{{end}}{{end}}`: the inner control
        // consumes the one {{end}}.
        const inner = this.nextNonSpace();
        elseList = { nodes: [this.control(inner)] };
      } else {
        const rest = this.itemList();
        if (rest.end.node !== 'end') this.fail('expected end; found {{else}}', rest.end.token);
        elseList = rest.list;
      }
    }
    this.vars.length = mark;
    this.nesting--;
    return { type: context, pos: pipe.pos, pipe, list, elseList };
  }

  private blockControl(keyword: Token): Node {
    const context = 'block clause';
    const nameToken = this.nextNonSpace();
    const name = this.templateName(nameToken, context);
    const pipe = this.pipeline(context, 'rightDelim');
    const outer = this.vars;
    const outerRange = this.rangeDepth;
    this.vars = ['$'];
    this.rangeDepth = 0;
    this.enter(keyword);
    const { list, end } = this.itemList();
    this.nesting--;
    this.vars = outer;
    this.rangeDepth = outerRange;
    if (end.node !== 'end') this.fail(`unexpected {{${end.node}}} in ${context}`, end.token);
    this.addDefinition(name, list, nameToken);
    return { type: 'template', pos: nameToken.pos, name, pipe };
  }

  private templateControl(): Node {
    const context = 'template clause';
    const nameToken = this.nextNonSpace();
    const name = this.templateName(nameToken, context);
    let pipe: PipeNode | undefined;
    if (this.peekNonSpace().kind === 'rightDelim') this.nextNonSpace();
    else pipe = this.pipeline(context, 'rightDelim');
    return { type: 'template', pos: nameToken.pos, name, pipe };
  }

  /** `declarations? command ('|' command)*` up to `end` (a right delimiter or paren). */
  private pipeline(context: string, end: 'rightDelim' | 'rightParen'): PipeNode {
    const start = this.peekNonSpace();
    const pipe: PipeNode = { type: 'pipe', pos: start.pos, decl: [], isAssign: false, cmds: [] };
    this.declarations(pipe, context);
    for (;;) {
      const token = this.nextNonSpace();
      if (token.kind === end) {
        this.checkPipeline(pipe, context, token);
        return pipe;
      }
      switch (token.kind) {
        case 'bool':
        case 'charConstant':
        case 'dot':
        case 'field':
        case 'identifier':
        case 'number':
        case 'nil':
        case 'rawString':
        case 'string':
        case 'variable':
        case 'leftParen':
          this.index--;
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(token, context);
      }
    }
  }

  private declarations(pipe: PipeNode, context: string): void {
    for (;;) {
      const v = this.peekNonSpace();
      if (v.kind !== 'variable') return;
      const save = this.index;
      this.nextNonSpace();
      const after = this.peekNonSpace();
      if (after.kind === 'assign' || after.kind === 'declare') {
        this.nextNonSpace();
        pipe.isAssign = after.kind === 'assign';
        pipe.decl.push(v.value);
        if (pipe.isAssign) {
          if (!this.vars.includes(v.value)) this.fail(`undefined variable ${JSON.stringify(v.value)}`, v);
        } else this.vars.push(v.value);
        return;
      }
      if (after.kind === 'char' && after.value === ',') {
        this.nextNonSpace();
        pipe.decl.push(v.value);
        this.vars.push(v.value);
        if (context === 'range' && pipe.decl.length < 2) {
          const third = this.peekNonSpace();
          if (third.kind === 'variable' || third.kind === 'rightDelim' || third.kind === 'rightParen')
            continue;
          this.fail('range can only initialize variables', third);
        }
        this.fail(`too many declarations in ${context}`, after);
      }
      this.index = save;
      return;
    }
  }

  private checkPipeline(pipe: PipeNode, context: string, token: Token): void {
    if (pipe.cmds.length === 0) this.fail(`missing value for ${context}`, token);
    pipe.cmds.slice(1).forEach((cmd, i) => {
      const first = cmd.args[0];
      if (first && ['bool', 'dot', 'nil', 'number', 'string'].includes(first.type)) {
        this.fail(`non executable command in pipeline stage ${i + 2}`, {
          kind: 'eof',
          pos: first.pos,
          value: '',
        });
      }
    });
  }

  /** Space-separated operands up to `|` (consumed) or a right delimiter/paren (left in place). */
  private command(): CommandNode {
    const cmd: CommandNode = { pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const token = this.next();
      if (token.kind === 'space') continue;
      if (token.kind === 'rightDelim' || token.kind === 'rightParen') this.index--;
      else if (token.kind !== 'pipe') this.unexpected(token, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.fail('empty command');
    return cmd;
  }

  /** A term followed by `.Field`s: on a field or variable they extend it, on anything else they make a chain. */
  private operand(): ArgNode | undefined {
    const node = this.term();
    if (!node || this.peek().kind !== 'field') return node;
    const fields: string[] = [];
    while (this.peek().kind === 'field') fields.push(this.next().value.slice(1));
    switch (node.type) {
      case 'field':
      case 'variable':
        return { ...node, idents: [...node.idents, ...fields] };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        this.fail(`unexpected . after term ${JSON.stringify(termText(node))}`, this.tokens[this.index - 1]);
        break;
      default:
        return { type: 'chain', pos: node.pos, node, fields };
    }
  }

  private term(): ArgNode | undefined {
    const token = this.nextNonSpace();
    switch (token.kind) {
      case 'identifier':
        if (!this.functions.has(token.value)) this.fail(this.functions.refusal(token.value), token);
        return { type: 'identifier', pos: token.pos, name: token.value };
      case 'dot':
        return { type: 'dot', pos: token.pos };
      case 'nil':
        return { type: 'nil', pos: token.pos };
      case 'variable': {
        const idents = token.value.split('.');
        if (!this.vars.includes(idents[0] ?? ''))
          this.fail(`undefined variable ${JSON.stringify(idents[0])}`, token);
        return { type: 'variable', pos: token.pos, idents };
      }
      case 'field':
        return { type: 'field', pos: token.pos, idents: [token.value.slice(1)] };
      case 'bool':
        return { type: 'bool', pos: token.pos, value: token.value === 'true' };
      case 'charConstant':
      case 'number':
        return this.number(token);
      case 'leftParen': {
        if (++this.parenDepth > MAX_PAREN_DEPTH) this.fail('max expression depth exceeded', token);
        const pipe = this.pipeline('parenthesized pipeline', 'rightParen');
        this.parenDepth--;
        return pipe;
      }
      case 'string':
      case 'rawString':
        return { type: 'string', pos: token.pos, quoted: token.value, text: this.unquote(token) };
    }
    this.index--;
    return undefined;
  }

  private number(token: Token): NumberNode {
    if (token.kind === 'charConstant') {
      const rune = this.unquote(token);
      const code = BigInt(rune.codePointAt(0) ?? 0);
      return {
        type: 'number',
        pos: token.pos,
        text: token.value,
        int: code,
        float: Number(code),
        floatSyntax: false,
        overflows: false,
      };
    }
    const parsed = parseNumber(token.value);
    if (typeof parsed === 'string') this.fail(parsed, token);
    return { type: 'number', pos: token.pos, ...parsed };
  }
}

function termText(node: ArgNode): string {
  if (node.type === 'string') return node.quoted;
  if (node.type === 'number') return node.text;
  if (node.type === 'bool') return String(node.value);
  return node.type === 'nil' ? 'nil' : '.';
}

/** Go's item.String(): keywords as `<if>`, other tokens quoted, long ones cut at 10 characters. */
function describe(token: Token): string {
  if (token.kind === 'eof') return 'EOF';
  if (KEYWORDS.has(token.kind) || token.kind === 'dot' || token.kind === 'nil') {
    return `<${token.value}>`;
  }
  if (token.kind === 'rightDelim') return '"}}"';
  const value = [...token.value];
  return value.length > 10
    ? `${JSON.stringify(value.slice(0, 10).join(''))}...`
    : JSON.stringify(token.value);
}

/** Go's IsEmptyTree: only whitespace text (and comments, which we drop). */
function isEmptyList(list: ListNode): boolean {
  return list.nodes.every((node) => node.type === 'text' && node.text.trim() === '');
}
