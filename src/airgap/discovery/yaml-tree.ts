import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  type Document,
  type Node,
} from 'yaml';
import { KimgError } from '../../errors';
import { MAX_ALIAS_COUNT, MAX_YAML_DEPTH, MAX_YAML_NODES } from './discovery-limits';

/** Where a value was written: the file (context-relative) and its 1-based line and column. */
export interface Position {
  file: string;
  line: number;
  column: number;
}

/**
 * A YAML document as plain values that remember their position. Aliases are expanded (so `containers: *c` is
 * seen where it is used) and `<<` merge keys applied, as Kubernetes' and Helm's YAML readers (go-yaml) do.
 */
export type YamlNode = YamlScalar | YamlMap | YamlSeq;
export interface YamlScalar {
  kind: 'scalar';
  value: unknown;
  pos: Position;
  /** The yaml package's scalar type: `PLAIN`, `QUOTE_DOUBLE`, `BLOCK_LITERAL`… (block text starts a line later). */
  style?: string;
}
export interface YamlMap {
  kind: 'map';
  entries: Map<string, YamlNode>;
  pos: Position;
}
export interface YamlSeq {
  kind: 'seq';
  items: YamlNode[];
  pos: Position;
}

function invalid(file: string, line: number | undefined, problem: string, hint?: string): KimgError {
  const where = line === undefined ? file : `${file}:${line}`;
  return new KimgError('DISCOVERY_INPUT_INVALID', `${where}: ${problem}`, hint);
}

/** Every document of a YAML (or JSON) text; empty documents are left out. */
export function parseYamlDocuments(text: string, file: string): YamlNode[] {
  const lineCounter = new LineCounter();
  let documents: Document.Parsed[];
  try {
    documents = parseAllDocuments(text, {
      lineCounter,
      prettyErrors: false,
      uniqueKeys: false,
    }) as Document.Parsed[];
  } catch (err) {
    throw fromStackOverflow(err, file) ?? err;
  }
  if (!Array.isArray(documents)) return []; // an empty stream
  const position = (node: Node | null | undefined): Position => {
    const { line, col } = lineCounter.linePos(node?.range?.[0] ?? 0);
    return { file, line, column: col };
  };
  const result: YamlNode[] = [];
  for (const document of documents) {
    const error = document.errors[0];
    if (error) {
      const line = error.pos[0] === undefined ? undefined : lineCounter.linePos(error.pos[0]).line;
      throw invalid(file, line, `not valid YAML: ${error.message.split('\n')[0]}`);
    }
    if (text.includes('*')) guardAliases(document, file);
    if (document.contents === null) continue;
    result.push(new TreeBuilder(document, file, position).build(document.contents, 0));
  }
  return result;
}

/** The yaml package's own billion-laughs guard (toJS counts each alias by the nodes it expands to). */
function guardAliases(document: Document.Parsed, file: string): void {
  try {
    document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    const overflow = fromStackOverflow(err, file);
    if (overflow) throw overflow;
    if (err instanceof ReferenceError && /alias/i.test(err.message)) {
      throw invalid(
        file,
        undefined,
        `too many YAML aliases (the limit is ${MAX_ALIAS_COUNT} expanded aliases per document; a document that expands exponentially is an "alias bomb")`,
        'write the repeated parts out instead of using anchors and aliases',
      );
    }
    // Anything else toJS dislikes (an alias to an unknown anchor) the composer reported already, or the walk will.
  }
}

function fromStackOverflow(err: unknown, file: string): KimgError | undefined {
  if (!(err instanceof RangeError)) return undefined;
  return invalid(file, undefined, 'YAML nested too deeply to read', `nest at most ${MAX_YAML_DEPTH} levels`);
}

class TreeBuilder {
  private nodes = 0;
  constructor(
    private readonly document: Document.Parsed,
    private readonly file: string,
    private readonly position: (node: Node | null | undefined) => Position,
  ) {}

  build(node: unknown, depth: number): YamlNode {
    if (++this.nodes > MAX_YAML_NODES) {
      throw invalid(
        this.file,
        undefined,
        `a YAML document expands to more than ${MAX_YAML_NODES} nodes`,
        'split the document',
      );
    }
    if (depth > MAX_YAML_DEPTH) {
      throw invalid(
        this.file,
        this.position(node as Node).line,
        `YAML nested deeper than ${MAX_YAML_DEPTH} levels`,
        'flatten the document',
      );
    }
    if (isAlias(node)) {
      const target = node.resolve(this.document);
      if (target === undefined)
        throw invalid(this.file, this.position(node).line, `unknown alias *${node.source}`);
      return this.build(target, depth + 1);
    }
    if (isMap(node)) {
      const entries = new Map<string, YamlNode>();
      const merged: YamlNode[] = [];
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (key === undefined || pair.value === null) continue;
        const value = this.build(pair.value, depth + 1);
        if (key === '<<' && !(isScalar(pair.key) && pair.key.type !== 'PLAIN')) merged.push(value);
        else entries.set(key, value);
      }
      // go-yaml merge keys: earlier maps win over later ones, explicit keys over all of them.
      for (const source of merged.flatMap((value) => (value.kind === 'seq' ? value.items : [value]))) {
        if (source.kind !== 'map') continue;
        for (const [key, value] of source.entries) if (!entries.has(key)) entries.set(key, value);
      }
      return { kind: 'map', entries, pos: this.position(node) };
    }
    if (isSeq(node)) {
      return {
        kind: 'seq',
        items: node.items.map((item) => this.build(item, depth + 1)),
        pos: this.position(node as Node),
      };
    }
    if (isScalar(node)) {
      return {
        kind: 'scalar',
        value: node.value,
        pos: this.position(node),
        ...(node.type !== undefined && { style: node.type }),
      };
    }
    return { kind: 'scalar', value: null, pos: this.position(node as Node) };
  }
}

/** The child of a map at `key`, if the node is a map. */
export function child(node: YamlNode | undefined, key: string): YamlNode | undefined {
  return node?.kind === 'map' ? node.entries.get(key) : undefined;
}

/** The string value of a scalar node (numbers kept as written would be too much; `String` of the value). */
export function stringValue(node: YamlNode | undefined): string | undefined {
  return node?.kind === 'scalar' && typeof node.value === 'string' ? node.value : undefined;
}
