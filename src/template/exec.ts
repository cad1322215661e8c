import { formatValue } from './format';
import {
  FunctionError,
  type CallContext,
  type FunctionTable,
  type GoFunction,
  type ParamType,
} from './function';
import {
  argString,
  type ArgNode,
  type CommandNode,
  type ListNode,
  type Node,
  type NumberNode,
  type PipeNode,
} from './nodes';
import { GoMap, goTypeName, isTrue, ValueLimitError, type GoValue } from './values';

/** An execution error at an offset of the template text (`index.ts` adds NAME:LINE:COL). */
export class ExecFault extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message);
  }
}

export interface ExecLimits {
  /** Characters of output, and of any one string a function builds. */
  maxOutput: number;
  /** Nodes walked, commands run and elements built, all counted together. */
  maxSteps: number;
  /** Nested `{{template}}` calls (Go allows 100,000; a JavaScript stack does not). */
  maxTemplateDepth: number;
}

const MISSING = Symbol('missing');
type Final = GoValue | typeof MISSING;

class BreakSignal {}
class ContinueSignal {}

interface Variable {
  name: string;
  value: GoValue;
}

/** Walks a parsed template over data, as Go's text/template/exec.go does, with `missingkey=default`. */
export class Executor implements CallContext {
  private out: string[] = [];
  private outLength = 0;
  private steps = 0;
  private vars: Variable[] = [];
  private depth = 0;
  private at: { pos: number; context: string } = { pos: 0, context: '' };

  constructor(
    private readonly defined: ReadonlyMap<string, ListNode>,
    private readonly functions: FunctionTable,
    private readonly limits: ExecLimits,
  ) {}

  run(root: ListNode, data: GoValue): string {
    this.vars = [{ name: '$', value: data }];
    this.walkList(data, root);
    return this.out.join('');
  }

  reserve(chars: number): void {
    if (this.outLength + chars > this.limits.maxOutput) {
      this.fail(`output exceeds ${this.limits.maxOutput} characters`);
    }
  }

  step(count: number): void {
    this.steps += count;
    if (this.steps > this.limits.maxSteps)
      this.fail(`template takes more than ${this.limits.maxSteps} steps`);
  }

  /**
   * Values a function builds count against the bounds, so doubling a string or list through a variable in a loop
   * (`$s = print $s $s`) stops at the output bound instead of filling memory.
   */
  private checkResult(result: GoValue): void {
    if (typeof result === 'string' && result.length > this.limits.maxOutput) {
      this.fail(
        `a value of ${result.length} characters exceeds the output bound of ${this.limits.maxOutput}`,
      );
    }
    if (Array.isArray(result)) this.step(result.length);
    else if (result instanceof GoMap) this.step(result.size);
  }

  private fail(message: string): never {
    const where = this.at.context ? `executing at <${this.at.context}>: ` : '';
    throw new ExecFault(`${where}${message}`, this.at.pos);
  }

  private mark(pos: number, context: string): void {
    this.at = { pos, context };
  }

  private write(text: string): void {
    this.reserve(text.length);
    this.out.push(text);
    this.outLength += text.length;
  }

  private printable(value: GoValue): string {
    try {
      return formatValue(value, 'v', NO_FLAGS);
    } catch (err) {
      if (err instanceof ValueLimitError) this.fail(err.message);
      throw err;
    }
  }

  private walkList(dot: GoValue, list: ListNode): void {
    for (const node of list.nodes) this.walk(dot, node);
  }

  private walk(dot: GoValue, node: Node): void {
    this.step(1);
    switch (node.type) {
      case 'text':
        this.write(node.text);
        return;
      case 'action': {
        const value = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) {
          this.mark(node.pos, pipeContext(node.pipe));
          this.write(value === undefined ? '<no value>' : this.printable(value));
        }
        return;
      }
      case 'if':
      case 'with': {
        const mark = this.vars.length;
        const value = this.evalPipeline(dot, node.pipe);
        if (isTrue(value)) this.walkList(node.type === 'with' ? value : dot, node.list);
        else if (node.elseList) this.walkList(dot, node.elseList);
        this.vars.length = mark;
        return;
      }
      case 'range':
        this.walkRange(dot, node);
        return;
      case 'template':
        this.walkTemplate(dot, node);
        return;
      case 'break':
        throw new BreakSignal();
      case 'continue':
        throw new ContinueSignal();
    }
  }

  private walkRange(dot: GoValue, node: Extract<Node, { type: 'range' }>): void {
    const outer = this.vars.length;
    const value = this.evalPipeline(dot, node.pipe);
    const mark = this.vars.length;
    const pipe = node.pipe;
    const iterate = (index: GoValue, elem: GoValue): boolean => {
      if (pipe.decl.length > 0) {
        if (pipe.isAssign) this.setVar(pipe.decl[0] ?? '', pipe.decl.length > 1 ? index : elem);
        else this.setTopVar(1, elem);
      }
      if (pipe.decl.length > 1) {
        if (pipe.isAssign) this.setVar(pipe.decl[1] ?? '', elem);
        else this.setTopVar(2, index);
      }
      try {
        this.walkList(elem, node.list);
      } catch (signal) {
        if (signal instanceof BreakSignal) return false;
        if (!(signal instanceof ContinueSignal)) throw signal;
      } finally {
        this.vars.length = mark;
      }
      return true;
    };
    let iterated = false;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        iterated = true;
        if (!iterate(BigInt(i), value[i])) break;
      }
    } else if (value instanceof GoMap) {
      for (const key of value.sortedKeys()) {
        iterated = true;
        if (!iterate(key, value.entries.get(key))) break;
      }
    } else if (value !== undefined) {
      this.mark(node.pos, pipeContext(pipe));
      this.fail(`range can't iterate over ${formatValue(value, 'v', NO_FLAGS)}`);
    }
    if (!iterated && node.elseList) this.walkList(dot, node.elseList);
    this.vars.length = outer;
  }

  private walkTemplate(dot: GoValue, node: Extract<Node, { type: 'template' }>): void {
    this.mark(node.pos, `template ${JSON.stringify(node.name)}`);
    const tree = this.defined.get(node.name);
    if (!tree) this.fail(`template ${JSON.stringify(node.name)} not defined`);
    if (this.depth >= this.limits.maxTemplateDepth) {
      this.fail(`exceeded maximum template depth (${this.limits.maxTemplateDepth})`);
    }
    const value = node.pipe ? this.evalPipeline(dot, node.pipe) : undefined;
    const saved = this.vars;
    this.vars = [{ name: '$', value }];
    this.depth++;
    try {
      this.walkList(value, tree);
    } finally {
      this.depth--;
      this.vars = saved;
    }
  }

  private setVar(name: string, value: GoValue): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const variable = this.vars[i];
      if (variable?.name === name) {
        variable.value = value;
        return;
      }
    }
    this.fail(`undefined variable: ${name}`);
  }

  private setTopVar(n: number, value: GoValue): void {
    const variable = this.vars[this.vars.length - n];
    if (variable) variable.value = value;
  }

  private varValue(name: string): GoValue {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const variable = this.vars[i];
      if (variable?.name === name) return variable.value;
    }
    this.fail(`undefined variable: ${name}`);
  }

  private evalPipeline(dot: GoValue, pipe: PipeNode): GoValue {
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    const result = value === MISSING ? undefined : value;
    for (const name of pipe.decl) {
      if (pipe.isAssign) this.setVar(name, result);
      else this.vars.push({ name, value: result });
    }
    return result;
  }

  private notAFunction(args: ArgNode[], final: Final): void {
    if (args.length > 1 || final !== MISSING) {
      this.fail(`can't give argument to non-function ${args[0] ? argString(args[0]) : ''}`);
    }
  }

  private evalCommand(dot: GoValue, cmd: CommandNode, final: Final): GoValue {
    this.step(1);
    const first = cmd.args[0];
    if (!first) this.fail('empty command');
    this.mark(first.pos, argString(first));
    switch (first.type) {
      case 'field':
        return this.evalFieldChain(dot, dot, first.idents, cmd.args, final);
      case 'chain': {
        const receiver = this.evalArg(dot, 'any', first.node);
        this.mark(first.pos, argString(first));
        return this.evalFieldChain(dot, receiver, first.fields, cmd.args, final);
      }
      case 'identifier':
        return this.evalFunction(
          dot,
          first.name,
          first.pos,
          cmd.args,
          final,
          cmd.args.map(argString).join(' '),
        );
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable': {
        const value = this.varValue(first.idents[0] ?? '$');
        if (first.idents.length === 1) {
          this.notAFunction(cmd.args, final);
          return value;
        }
        return this.evalFieldChain(dot, value, first.idents.slice(1), cmd.args, final);
      }
    }
    this.notAFunction(cmd.args, final);
    switch (first.type) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'nil':
        this.fail('nil is not a command');
        break;
      case 'number':
        return this.idealConstant(first);
      case 'string':
        return first.text;
    }
  }

  private idealConstant(node: NumberNode): GoValue {
    this.mark(node.pos, node.text);
    if (node.floatSyntax && node.float !== undefined) return node.float;
    if (node.int !== undefined) return node.int;
    if (node.overflows) this.fail(`${node.text} overflows int`);
    return node.float;
  }

  /** `.a.b.c`: every link but the last takes no arguments; missing keys and nil receivers give no value. */
  private evalFieldChain(
    dot: GoValue,
    receiver: GoValue,
    idents: string[],
    args: ArgNode[],
    final: Final,
  ): GoValue {
    let value = receiver;
    idents.forEach((name, i) => {
      const last = i === idents.length - 1;
      value = this.evalField(name, value, last && (args.length > 1 || final !== MISSING));
    });
    return value;
  }

  private evalField(name: string, receiver: GoValue, hasArgs: boolean): GoValue {
    if (receiver === undefined) return undefined;
    if (receiver instanceof GoMap) {
      if (hasArgs) this.fail(`${name} is not a method but has arguments`);
      return receiver.entries.get(name);
    }
    this.fail(`can't evaluate field ${name} in type ${goTypeName(receiver)}`);
  }

  private evalFunction(
    dot: GoValue,
    name: string,
    pos: number,
    args: ArgNode[],
    final: Final,
    context = name,
  ): GoValue {
    this.mark(pos, name);
    const fn = this.functions.get(name);
    if (!fn) this.fail(`${JSON.stringify(name)} is not a defined function`);
    return this.evalCall(dot, fn, name, pos, args.slice(1), final, context);
  }

  private evalCall(
    dot: GoValue,
    fn: GoFunction,
    name: string,
    pos: number,
    args: ArgNode[],
    final: Final,
    context: string,
  ): GoValue {
    const numIn = args.length + (final === MISSING ? 0 : 1);
    const fixed = fn.params.length;
    this.mark(pos, context);
    if (fn.variadic) {
      if (numIn < fixed) this.fail(`wrong number of args for ${name}: want at least ${fixed} got ${numIn}`);
    } else if (numIn !== fixed) {
      this.fail(`wrong number of args for ${name}: want ${fixed} got ${numIn}`);
    }
    // and/or evaluate their arguments only until the answer is known (Go ≥ 1.18).
    if (name === 'and' || name === 'or') {
      let value: GoValue;
      for (const arg of args) {
        value = this.evalArg(dot, 'any', arg);
        if (isTrue(value) === (name === 'or')) return value;
      }
      return final === MISSING ? value : final;
    }
    const argv: GoValue[] = args.map((arg, i) =>
      this.evalArg(dot, i < fixed ? (fn.params[i] ?? 'any') : (fn.variadic ?? 'any'), arg),
    );
    if (final !== MISSING) {
      const type = numIn - 1 < fixed ? (fn.params[numIn - 1] ?? 'any') : (fn.variadic ?? 'any');
      argv.push(this.validateType(final, type));
    }
    this.mark(pos, context);
    let result: GoValue;
    try {
      result = fn.call(argv, this);
    } catch (err) {
      this.mark(pos, context);
      if (err instanceof FunctionError) this.fail(`error calling ${name}: ${err.message}`);
      if (err instanceof ValueLimitError) this.fail(`error calling ${name}: ${err.message}`);
      throw err;
    }
    this.checkResult(result);
    return result;
  }

  private validateType(value: GoValue, type: ParamType): GoValue {
    if (value === undefined) {
      if (type === 'any') return undefined;
      this.fail(`invalid value; expected ${type === 'float' ? 'float64' : type}`);
    }
    if (type === 'any') return value;
    const actual = goTypeName(value);
    const ok =
      (type === 'string' && typeof value === 'string') ||
      (type === 'int' && typeof value === 'bigint') ||
      (type === 'float' && typeof value === 'number') ||
      (type === 'bool' && typeof value === 'boolean');
    if (!ok)
      this.fail(`wrong type for value; expected ${type === 'float' ? 'float64' : type}; got ${actual}`);
    return value;
  }

  private evalArg(dot: GoValue, type: ParamType, node: ArgNode): GoValue {
    this.mark(node.pos, argString(node));
    switch (node.type) {
      case 'dot':
        return this.validateType(dot, type);
      case 'nil':
        if (type === 'any') return undefined;
        this.fail(`cannot assign nil to ${type}`);
        break;
      case 'field':
        return this.validateType(this.evalFieldChain(dot, dot, node.idents, [node], MISSING), type);
      case 'variable': {
        const value = this.varValue(node.idents[0] ?? '$');
        const result =
          node.idents.length === 1
            ? value
            : this.evalFieldChain(dot, value, node.idents.slice(1), [], MISSING);
        return this.validateType(result, type);
      }
      case 'pipe':
        return this.validateType(this.evalPipeline(dot, node), type);
      case 'identifier':
        return this.validateType(this.evalFunction(dot, node.name, node.pos, [node], MISSING), type);
      case 'chain': {
        const receiver = this.evalArg(dot, 'any', node.node);
        this.mark(node.pos, argString(node));
        return this.validateType(this.evalFieldChain(dot, receiver, node.fields, [], MISSING), type);
      }
    }
    const found = argString(node);
    switch (type) {
      case 'bool':
        if (node.type === 'bool') return node.value;
        this.fail(`expected bool; found ${found}`);
        break;
      case 'string':
        if (node.type === 'string') return node.text;
        this.fail(`expected string; found ${found}`);
        break;
      case 'int':
        if (node.type === 'number' && node.int !== undefined) return node.int;
        this.fail(`expected integer; found ${found}`);
        break;
      case 'float':
        if (node.type === 'number' && node.float !== undefined) return node.float;
        this.fail(`expected float; found ${found}`);
        break;
      case 'any':
        if (node.type === 'bool') return node.value;
        if (node.type === 'string') return node.text;
        return this.idealConstant(node);
    }
  }
}

const NO_FLAGS = { minus: false, plus: false, sharp: false, zero: false, space: false };

function pipeContext(pipe: PipeNode): string {
  return pipe.cmds.map((cmd) => cmd.args.map(argString).join(' ')).join(' | ');
}
