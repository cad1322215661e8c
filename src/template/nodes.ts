/**
 * The parse tree of a template, shaped like Go's text/template/parse nodes. Every node keeps its offset in the
 * template text so execution errors name the line and column.
 */
export interface ListNode {
  nodes: Node[];
}

export type Node =
  | { type: 'text'; pos: number; text: string }
  | { type: 'action'; pos: number; pipe: PipeNode }
  | { type: 'if' | 'with'; pos: number; pipe: PipeNode; list: ListNode; elseList?: ListNode }
  | { type: 'range'; pos: number; pipe: PipeNode; list: ListNode; elseList?: ListNode }
  | { type: 'template'; pos: number; name: string; pipe?: PipeNode }
  | { type: 'break' | 'continue'; pos: number };

export interface PipeNode {
  type: 'pipe';
  pos: number;
  /** Variables declared (`$x :=`) or assigned (`$x =`) by the pipeline. */
  decl: string[];
  isAssign: boolean;
  cmds: CommandNode[];
}

export interface CommandNode {
  pos: number;
  args: ArgNode[];
}

export interface NumberNode {
  type: 'number';
  pos: number;
  text: string;
  /** Set when the text is an integer constant that fits in int64 (Go's IsInt). */
  int?: bigint;
  /** Set when the text parses as a float (Go's IsFloat); integers are floats too. */
  float?: number;
  /** Go's idealConstant treats it as a float64: it has `.`, `e` or `p` and is not hex or a rune. */
  floatSyntax: boolean;
  /** Integer text past int64 but within uint64 (Go's IsUint without IsInt): "overflows int". */
  overflows: boolean;
}

export type ArgNode =
  | { type: 'field'; pos: number; idents: string[] }
  | { type: 'variable'; pos: number; idents: string[] }
  | { type: 'chain'; pos: number; node: ArgNode; fields: string[] }
  | { type: 'identifier'; pos: number; name: string }
  | { type: 'dot'; pos: number }
  | { type: 'nil'; pos: number }
  | { type: 'bool'; pos: number; value: boolean }
  | { type: 'string'; pos: number; quoted: string; text: string }
  | NumberNode
  | PipeNode;

/** The source form of an argument, as Go's Node.String() prints it in error messages. */
export function argString(node: ArgNode): string {
  switch (node.type) {
    case 'field':
      return node.idents.map((i) => `.${i}`).join('');
    case 'variable':
      return node.idents.join('.');
    case 'chain':
      return `${node.node.type === 'pipe' ? `(${argString(node.node)})` : argString(node.node)}${node.fields.map((f) => `.${f}`).join('')}`;
    case 'identifier':
      return node.name;
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'bool':
      return String(node.value);
    case 'string':
      return node.quoted;
    case 'number':
      return node.text;
    case 'pipe':
      return pipeString(node);
  }
}

export function pipeString(pipe: PipeNode): string {
  const decl = pipe.decl.length > 0 ? `${pipe.decl.join(', ')} ${pipe.isAssign ? '=' : ':='} ` : '';
  return decl + pipe.cmds.map((cmd) => cmd.args.map(argString).join(' ')).join(' | ');
}
