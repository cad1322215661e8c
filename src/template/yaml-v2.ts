import { formatFloatG } from './format';
import { checkDepth, GoMap, type GoValue } from './values';

/**
 * toYaml as sealos has it: sigs.k8s.io/yaml v1.4.0 marshals the value to JSON, reads that back with go-yaml v2
 * and emits YAML with go-yaml v2's emitter (a port of libyaml). Reproduced here for the values templates hold:
 * keys in go-yaml's order (digits compared as numbers), block style with 2-space indents and sequences flush
 * under their key, empty collections as `{}`/`[]`, strings quoted only when YAML 1.1 would read them as
 * something else (`"true"`, `"1.5"`, `""`) or the emitter cannot write them plain, literal blocks (`|-`) for
 * multi-line strings, and lines folded at spaces past column 80. Anchors, tags and flow style never arise.
 */
export function toYaml(value: GoValue): string {
  const writer = new Writer();
  writer.node(jsonRoundTrip(value), -1, { mapping: false, simpleKey: false, root: true });
  return writer.text();
}

type YamlValue =
  null | boolean | { int: bigint } | { float: number } | string | YamlValue[] | Map<string, YamlValue>;

/** json.Marshal then yaml.Unmarshal: ints stay ints, whole floats become ints (JSON prints 1.0 as `1`). */
function jsonRoundTrip(value: GoValue, depth = 0): YamlValue {
  checkDepth(depth);
  if (value === undefined) return null;
  if (typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'bigint') return { int: value };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return null;
    const json = JSON.stringify(value);
    if (/^-?\d+$/.test(json)) {
      const int = BigInt(json);
      if (int >= -(1n << 63n) && int < 1n << 63n) return { int };
    }
    return { float: value };
  }
  if (value instanceof GoMap) {
    const keys = [...value.entries.keys()].sort((a, b) => (keyLess(a, b) ? -1 : keyLess(b, a) ? 1 : 0));
    return new Map(keys.map((k) => [k, jsonRoundTrip(value.entries.get(k), depth + 1)]));
  }
  return value.map((item) => jsonRoundTrip(item, depth + 1));
}

/** go-yaml v2's keyList.Less for string keys: letters by code point, runs of digits by numeric value. */
function keyLess(a: string, b: string): boolean {
  const ar = [...a];
  const br = [...b];
  for (let i = 0; i < ar.length && i < br.length; i++) {
    const ac = ar[i] ?? '';
    const bc = br[i] ?? '';
    if (ac === bc) continue;
    const al = isLetter(ac);
    const bl = isLetter(bc);
    if (al && bl) return codePoint(ac) < codePoint(bc);
    if (al || bl) return bl;
    let an = 0n;
    let bn = 0n;
    if (ac === '0' || bc === '0') {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]); j--) {
        if (ar[j] !== '0') {
          an = 1n;
          bn = 1n;
          break;
        }
      }
    }
    let ai = i;
    let bi = i;
    for (; ai < ar.length && isDigit(ar[ai]); ai++) an = an * 10n + BigInt(codePoint(ar[ai] ?? '0') - 48);
    for (; bi < br.length && isDigit(br[bi]); bi++) bn = bn * 10n + BigInt(codePoint(br[bi] ?? '0') - 48);
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return codePoint(ac) < codePoint(bc);
  }
  return ar.length < br.length;
}

function codePoint(ch: string): number {
  return ch.codePointAt(0) ?? 0;
}

function isLetter(ch: string): boolean {
  return /^\p{L}$/u.test(ch);
}

function isDigit(ch: string | undefined): boolean {
  return ch !== undefined && /^\p{Nd}$/u.test(ch);
}

// ---- scalar analysis (emitterc.go yaml_emitter_analyze_scalar, encode.go stringv) ----

const BEST_WIDTH = 80;

type Style = 'plain' | 'single' | 'double' | 'literal';

/** What a string resolves to when written plain, by go-yaml v2's YAML 1.1 rules (resolve.go). */
function resolvesToString(s: string): boolean {
  if (['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'].includes(s)) return false;
  if (['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'].includes(s)) return false;
  if (
    [
      '',
      '~',
      'null',
      'Null',
      'NULL',
      '.nan',
      '.NaN',
      '.NAN',
      '.inf',
      '.Inf',
      '.INF',
      '+.inf',
      '+.Inf',
      '+.INF',
    ].includes(s)
  )
    return false;
  if (['-.inf', '-.Inf', '-.INF', '<<'].includes(s)) return false;
  const first = s[0] ?? '';
  if (first === '.') return !/^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(s);
  if (!/[-+0-9]/.test(first)) return true;
  if (isTimestamp(s)) return false;
  const plain = s.replace(/_/g, '');
  if (/^[-+]?(0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|\d+)$/.test(plain)) return false;
  if (/^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/.test(plain)) return false;
  return true;
}

/** go-yaml v2's parseTimestamp layouts: `2006-1-2`, `2006-1-2 15:4:5…`, `2006-1-2T15:4:5…Z07:00`. */
function isTimestamp(s: string): boolean {
  const m =
    /^(\d{4})-(\d{1,2})-(\d{1,2})(?:([Tt ])(\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d{1,9})?(Z|[-+]\d{2}:\d{2})?)?$/.exec(
      s,
    );
  if (!m) return false;
  if (m[4] === ' ' && m[9]) return false;
  if ((m[4] === 'T' || m[4] === 't') && !m[9]) return false;
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(Number(m[1]), month)) return false;
  if (m[5] !== undefined && (Number(m[5]) > 23 || Number(m[6]) > 59 || Number(m[7]) > 59)) return false;
  return true;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

const BASE60 = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;

function isPrintable(ch: string): boolean {
  const c = codePoint(ch);
  if (c === 0x0a) return true;
  if (c >= 0x20 && c <= 0x7e) return true;
  if (c >= 0xa0 && c <= 0xd7ff) return true;
  if (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff) return true;
  return false;
}

const isBreak = (ch: string | undefined): boolean =>
  ch === '\r' || ch === '\n' || ch === '\u0085' || ch === '\u2028' || ch === '\u2029';
const isBlank = (ch: string | undefined): boolean => ch === ' ' || ch === '\t';

interface Analysis {
  multiline: boolean;
  blockPlain: boolean;
  singleQuoted: boolean;
  block: boolean;
}

function analyze(value: string): Analysis {
  const chars = [...value];
  if (chars.length === 0) return { multiline: false, blockPlain: true, singleQuoted: true, block: false };
  let blockIndicators = value.startsWith('---') || value.startsWith('...');
  let lineBreaks = false;
  let special = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let precededByWhitespace = true;
  let previousSpace = false;
  let previousBreak = false;
  chars.forEach((ch, i) => {
    const next = chars[i + 1];
    const followedByWhitespace = next === undefined || isBlank(next) || isBreak(next);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) blockIndicators = true;
      else if ((ch === '?' || ch === ':' || ch === '-') && followedByWhitespace) blockIndicators = true;
    } else if ((ch === ':' && followedByWhitespace) || (ch === '#' && precededByWhitespace)) {
      blockIndicators = true;
    }
    if (!isPrintable(ch)) special = true;
    if (ch === ' ') {
      if (i === 0) leadingSpace = true;
      if (i === chars.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(ch)) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (i === chars.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlank(ch) || isBreak(ch);
  });
  const result: Analysis = { multiline: lineBreaks, blockPlain: true, singleQuoted: true, block: true };
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) result.blockPlain = false;
  if (trailingSpace) result.block = false;
  if (breakSpace) {
    result.blockPlain = false;
    result.singleQuoted = false;
  }
  if (spaceBreak || special) {
    result.blockPlain = false;
    result.singleQuoted = false;
    result.block = false;
  }
  if (lineBreaks || blockIndicators) result.blockPlain = false;
  return result;
}

/** encode.go stringv, then yaml_emitter_select_scalar_style. */
function stringStyle(value: string, simpleKey: boolean): Style {
  const canUsePlain = resolvesToString(value) && !BASE60.test(value);
  let style: Style = value.includes('\n') ? 'literal' : canUsePlain ? 'plain' : 'double';
  const analysis = analyze(value);
  if (simpleKey && analysis.multiline) style = 'double';
  if (style === 'plain') {
    if (!analysis.blockPlain) style = 'single';
    if (value === '' && simpleKey) style = 'single';
  }
  if (style === 'single' && !analysis.singleQuoted) style = 'double';
  if (style === 'literal' && (!analysis.block || simpleKey)) style = 'double';
  return style;
}

// ---- the writer (emitterc.go's column bookkeeping, block styles only) ----

interface Context {
  mapping: boolean;
  simpleKey: boolean;
  root: boolean;
}

class Writer {
  private out = '';
  private column = 0;
  private whitespace = true;
  private indention = true;
  private indent = -1;

  text(): string {
    return this.out.endsWith('\n') ? this.out : `${this.out}\n`;
  }

  private put(text: string): void {
    this.out += text;
    this.column += [...text].length;
  }

  private putBreak(): void {
    this.out += '\n';
    this.column = 0;
  }

  private writeIndent(): void {
    const indent = Math.max(this.indent, 0);
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace))
      this.putBreak();
    while (this.column < indent) this.put(' ');
    this.whitespace = true;
    this.indention = true;
  }

  private writeIndicator(
    indicator: string,
    needWhitespace: boolean,
    isWhitespace: boolean,
    isIndention: boolean,
  ): void {
    if (needWhitespace && !this.whitespace) this.put(' ');
    this.put(indicator);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  node(value: YamlValue, _unused: number, context: Context): void {
    if (value instanceof Map) this.mapping(value);
    else if (Array.isArray(value)) this.sequence(value, context);
    else this.scalar(value, context.simpleKey);
  }

  private increaseIndent(flow: boolean, indentless: boolean): number {
    const saved = this.indent;
    if (this.indent < 0) this.indent = flow ? 2 : 0;
    else if (!indentless) this.indent += 2;
    return saved;
  }

  private mapping(map: Map<string, YamlValue>): void {
    if (map.size === 0) {
      this.writeIndicator('{', true, true, false);
      this.writeIndicator('}', false, false, false);
      return;
    }
    const saved = this.increaseIndent(false, false);
    for (const [key, value] of map) {
      this.writeIndent();
      this.scalar(key, true);
      this.writeIndicator(':', false, false, false);
      this.node(value, 0, { mapping: true, simpleKey: false, root: false });
    }
    this.indent = saved;
  }

  private sequence(list: YamlValue[], context: Context): void {
    if (list.length === 0) {
      this.writeIndicator('[', true, true, false);
      this.writeIndicator(']', false, false, false);
      return;
    }
    const saved = this.increaseIndent(false, context.mapping && !this.indention);
    for (const item of list) {
      this.writeIndent();
      this.writeIndicator('-', true, false, true);
      this.node(item, 0, { mapping: false, simpleKey: false, root: false });
    }
    this.indent = saved;
  }

  private scalar(value: Exclude<YamlValue, YamlValue[] | Map<string, YamlValue>>, simpleKey: boolean): void {
    let text: string;
    let style: Style = 'plain';
    if (value === null) text = 'null';
    else if (typeof value === 'boolean') text = String(value);
    else if (typeof value === 'string') {
      text = value;
      style = stringStyle(value, simpleKey);
    } else if ('int' in value) text = value.int.toString();
    else text = formatFloatG(value.float);
    const saved = this.increaseIndent(true, false);
    const allowBreaks = !simpleKey;
    if (style === 'plain') this.writePlain(text, allowBreaks);
    else if (style === 'single') this.writeSingle(text, allowBreaks);
    else if (style === 'double') this.writeDouble(text, allowBreaks);
    else this.writeLiteral(text);
    this.indent = saved;
  }

  private writePlain(value: string, allowBreaks: boolean): void {
    if (!this.whitespace) this.put(' ');
    const chars = [...value];
    let spaces = false;
    chars.forEach((ch, i) => {
      if (ch === ' ') {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && chars[i + 1] !== ' ') this.writeIndent();
        else this.put(ch);
        spaces = true;
      } else {
        this.put(ch);
        this.indention = false;
        spaces = false;
      }
    });
    this.whitespace = false;
    this.indention = false;
  }

  private writeSingle(value: string, allowBreaks: boolean): void {
    this.writeIndicator("'", true, false, false);
    const chars = [...value];
    let spaces = false;
    chars.forEach((ch, i) => {
      if (ch === ' ') {
        if (
          allowBreaks &&
          !spaces &&
          this.column > BEST_WIDTH &&
          i > 0 &&
          i < chars.length - 1 &&
          chars[i + 1] !== ' '
        )
          this.writeIndent();
        else this.put(ch);
        spaces = true;
      } else {
        if (ch === "'") this.put("'");
        this.put(ch);
        this.indention = false;
        spaces = false;
      }
    });
    this.writeIndicator("'", false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeDouble(value: string, allowBreaks: boolean): void {
    this.writeIndicator('"', true, false, false);
    const chars = [...value];
    let spaces = false;
    chars.forEach((ch, i) => {
      if (!isPrintable(ch) || ch === '\ufeff' || isBreak(ch) || ch === '"' || ch === '\\') {
        this.put(`\\${escapeDouble(ch)}`);
        spaces = false;
      } else if (ch === ' ') {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i > 0 && i < chars.length - 1) {
          this.writeIndent();
          if (chars[i + 1] === ' ') this.put('\\');
        } else this.put(ch);
        spaces = true;
      } else {
        this.put(ch);
        spaces = false;
      }
    });
    this.writeIndicator('"', false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeLiteral(value: string): void {
    this.writeIndicator('|', true, false, false);
    const chars = [...value];
    if (chars[0] === ' ' || isBreak(chars[0])) this.writeIndicator('2', false, false, false);
    const last = chars.at(-1);
    let chomp = '';
    if (!isBreak(last)) chomp = '-';
    else if (chars.length === 1 || isBreak(chars.at(-2))) chomp = '+';
    if (chomp) this.writeIndicator(chomp, false, false, false);
    this.putBreak();
    this.indention = true;
    this.whitespace = true;
    let breaks = true;
    for (const ch of chars) {
      if (isBreak(ch)) {
        this.putBreak();
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.put(ch);
        this.indention = false;
        breaks = false;
      }
    }
  }
}

function escapeDouble(ch: string): string {
  const named: Record<string, string> = {
    '\0': '0',
    '\x07': 'a',
    '\b': 'b',
    '\t': 't',
    '\n': 'n',
    '\v': 'v',
    '\f': 'f',
    '\r': 'r',
    '\x1b': 'e',
    '"': '"',
    '\\': '\\',
    '\u0085': 'N',
    '\u00a0': '_',
    '\u2028': 'L',
    '\u2029': 'P',
  };
  const n = named[ch];
  if (n) return n;
  const c = codePoint(ch);
  if (c <= 0xff) return `x${c.toString(16).toUpperCase().padStart(2, '0')}`;
  if (c <= 0xffff) return `u${c.toString(16).toUpperCase().padStart(4, '0')}`;
  return `U${c.toString(16).toUpperCase().padStart(8, '0')}`;
}
