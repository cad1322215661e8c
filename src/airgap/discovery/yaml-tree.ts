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
  checkNesting(text, file);
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
      if (/call stack/i.test(error.message))
        throw invalid(file, line, 'YAML nested too deeply to read', `nest at most ${MAX_YAML_DEPTH} levels`);
      throw invalid(file, line, `not valid YAML: ${error.message.split('\n')[0]}`);
    }
    if (text.includes('*')) guardAliases(document, file);
    if (document.contents === null) continue;
    result.push(new TreeBuilder(document, file, position).build(document.contents, 0));
  }
  return result;
}

/**
 * Nesting is refused before the yaml package sees it: its parser spends ~0.5–0.9 KB of memory per level and
 * a level costs one or two bytes (`[[[[…`, `- - - …`, `? ? …`), so a file under the size cap could ask for
 * gigabytes (measured: 1 MB of `[` → 870 MB peak RSS) before the parser's own stack overflows. The scan is
 * linear and deliberately simple: brackets count wherever they are (inside strings too, where 256 unclosed ones
 * do not happen in real files), block indicators at the start of a line count once each. Nesting by
 * indentation alone needs quadratic text, which the size cap bounds.
 */
function checkNesting(text: string, file: string): void {
  let flow = 0;
  let indicators = 0;
  let line = 1;
  let lineStart = true;
  const separator = (at: number): boolean => {
    const code = text.charCodeAt(at);
    return Number.isNaN(code) || code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
  };
  for (let at = 0; at < text.length; at++) {
    const code = text.charCodeAt(at);
    if (code === 0x0a) {
      line++;
      lineStart = true;
      indicators = 0;
      continue;
    }
    if (lineStart) {
      if (code === 0x20 || code === 0x09) continue;
      // `- `, `? `, `: ` open a collection on the same line; anchors and tags (`&a`, `!t`) may sit between them.
      if ((code === 0x2d || code === 0x3f || code === 0x3a) && separator(at + 1)) indicators++;
      else if (code === 0x26 || code === 0x21) while (!separator(at + 1)) at++;
      else lineStart = false;
    }
    if (code === 0x5b || code === 0x7b) flow++;
    else if ((code === 0x5d || code === 0x7d) && flow > 0) flow--;
    if (flow + indicators > MAX_YAML_DEPTH) {
      throw invalid(file, line, `YAML nested deeper than ${MAX_YAML_DEPTH} levels`, 'flatten the document');
    }
  }
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
