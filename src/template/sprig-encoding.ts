import { createHash } from 'node:crypto';
import semver from 'semver';
import { parseAllDocuments } from 'yaml';
import { fn, FunctionError, int, str, type GoFunction } from './function';
import { fromGoJson, goJson, toGo } from './go-json';
import { GoMap, type GoValue } from './values';
import { toYaml } from './yaml-v2';

/**
 * sprig's encodings and hashes, and the functions sealos adds over sprig (lifecycle/pkg/template/funcmap.go,
 * copied from Helm): toYaml, fromYaml, fromYamlArray, toJson, fromJson, fromJsonArray, ipNet, ipAt. Helm's
 * versions swallow errors: toJson of NaN is "", fromYaml of bad YAML is a map with an "Error" key.
 */

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** base64.StdEncoding.DecodeString, strict as Go is (padding required); the error text is sprig's result. */
function b64dec(text: string): string {
  const clean = text.replace(/[\r\n]/g, '');
  if (clean.length % 4 !== 0 || !B64.test(clean) || /=[^=]/.test(clean)) {
    const bad = [...clean].findIndex((c) => !/[A-Za-z0-9+/=]/.test(c));
    const at = bad >= 0 ? bad : Math.floor(clean.length / 4) * 4;
    return `illegal base64 data at input byte ${at}`;
  }
  return Buffer.from(clean, 'base64').toString('utf8');
}

const B32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function b32enc(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += B32_ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32_ALPHABET[(value << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += '=';
  return out;
}

function b32dec(text: string): string {
  const clean = text.replace(/[\r\n]/g, '');
  if (clean.length % 8 !== 0 || !/^[A-Z2-7]*=*$/.test(clean)) return `illegal base32 data at input byte 0`;
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const c of clean.replace(/=+$/, '')) {
    value = (value << 5) | B32_ALPHABET.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function adler32(text: string): string {
  let a = 1;
  let b = 0;
  for (const byte of Buffer.from(text, 'utf8')) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return String(((b << 16) | a) >>> 0);
}

function hash(algorithm: string, text: string): string {
  return createHash(algorithm).update(text, 'utf8').digest('hex');
}

function errorMap(message: string): GoMap {
  return new GoMap(new Map([['Error', message]]));
}

/** sigs.k8s.io/yaml.Unmarshal: the first document, YAML 1.1 (`yes` is true), through JSON (numbers float64). */
function fromYaml(text: string, want: 'map' | 'array'): GoValue {
  try {
    const docs = parseAllDocuments(text, { version: '1.1', uniqueKeys: true });
    const doc = Array.isArray(docs) ? docs[0] : docs;
    if (!doc) return want === 'map' ? new GoMap(new Map()) : [];
    if (doc.errors.length > 0) throw new Error(doc.errors[0]?.message ?? 'invalid YAML');
    const value = toGo(doc.toJS({ maxAliasCount: 100 }) as unknown, 0, 256);
    const numbers = floatNumbers(value);
    if (want === 'map') {
      if (numbers === undefined) return new GoMap(new Map());
      if (!(numbers instanceof GoMap))
        throw new Error(
          `error unmarshaling JSON: json: cannot unmarshal ${jsonKind(numbers)} into Go value of type map[string]interface {}`,
        );
      return numbers;
    }
    if (numbers === undefined) return [];
    if (!Array.isArray(numbers))
      throw new Error(
        `error unmarshaling JSON: json: cannot unmarshal ${jsonKind(numbers)} into Go value of type []interface {}`,
      );
    return numbers;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return want === 'map' ? errorMap(message) : [message];
  }
}

function jsonKind(value: GoValue): string {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number' || typeof value === 'bigint') return 'number';
  if (typeof value === 'boolean') return 'bool';
  if (value instanceof GoMap) return 'object';
  return 'array';
}

/** JSON numbers decode to float64. */
function floatNumbers(value: GoValue): GoValue {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(floatNumbers);
  if (value instanceof GoMap)
    return new GoMap(new Map([...value.entries].map(([k, v]) => [k, floatNumbers(v)])));
  return value;
}

function fromJson(text: string, want: 'map' | 'array'): GoValue {
  try {
    const value = fromGoJson(text);
    if (want === 'map' && value instanceof GoMap) return value;
    if (want === 'array' && Array.isArray(value)) return value;
    if (value === undefined) return want === 'map' ? new GoMap(new Map()) : [];
    throw new Error(
      `json: cannot unmarshal ${jsonKind(value)} into Go value of type ${want === 'map' ? 'map[string]interface {}' : '[]interface {}'}`,
    );
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return want === 'map' ? errorMap(message) : [message];
  }
}

/**
 * Masterminds/semver's NewVersion is lenient (`v1.27`, `1.27` are versions) and its constraints join with
 * commas; npm's semver reads the same ranges once commas become spaces.
 */
function semverCompare(constraint: string, version: string): boolean {
  const range = semver.validRange(constraint.replace(/,/g, ' '), { loose: true });
  if (range === null) throw new FunctionError(`improper constraint: ${constraint}`);
  const parsed = parseVersion(version);
  if (!parsed) throw new FunctionError('Invalid Semantic Version');
  return semver.satisfies(parsed, range, { loose: true });
}

function parseVersion(version: string): semver.SemVer | null {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.exec(version.trim());
  if (!m) return null;
  return semver.parse(`${m[1]}.${m[2] ?? '0'}.${m[3] ?? '0'}${m[4] ?? ''}${m[5] ?? ''}`, { loose: true });
}

/** net.ParseCIDR for IPv4: the network address with its prefix length. */
function parseCidr(text: string): { network: number; prefix: number } | string {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const prefix = m ? Number(m[5]) : NaN;
  if (
    !m ||
    octets.some((o) => o > 255 || Number.isNaN(o)) ||
    prefix > 32 ||
    /(^|\.)0\d/.test(text.split('/')[0] ?? '')
  ) {
    return `invalid cidr: invalid CIDR address: ${text}`;
  }
  const ip = octets.reduce((acc, o) => ((acc << 8) | o) >>> 0, 0);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { network: (ip & mask) >>> 0, prefix };
}

function ipString(ip: number): string {
  return [24, 16, 8, 0].map((shift) => (ip >>> shift) & 255).join('.');
}

function ipNet(text: string): string {
  const cidr = parseCidr(text);
  if (typeof cidr === 'string') return cidr;
  return `${ipString(cidr.network)}/${cidr.prefix}`;
}

/** sealos' ipAt: the address idx past the network address, or "out of ip address range". */
function ipAt(text: string, idx: bigint): string {
  const cidr = parseCidr(text);
  if (typeof cidr === 'string') return cidr;
  if (idx < 0n || idx > 0xffffffffn) throw new FunctionError(`value ${idx} overflows uint32`);
  const mask = cidr.prefix === 0 ? 0 : (0xffffffff << (32 - cidr.prefix)) >>> 0;
  const finish = (cidr.network | (~mask >>> 0)) >>> 0;
  const ip = cidr.network + Number(idx);
  if (ip > finish || ip > 0xffffffff) return 'out of ip address range';
  return ipString(ip);
}

export const SPRIG_ENCODING: ReadonlyMap<string, GoFunction> = new Map<string, GoFunction>([
  ['b64enc', fn(['string'], ([s]) => Buffer.from(str(s), 'utf8').toString('base64'))],
  ['b64dec', fn(['string'], ([s]) => b64dec(str(s)))],
  ['b32enc', fn(['string'], ([s]) => b32enc(str(s)))],
  ['b32dec', fn(['string'], ([s]) => b32dec(str(s)))],
  ['sha1sum', fn(['string'], ([s]) => hash('sha1', str(s)))],
  ['sha256sum', fn(['string'], ([s]) => hash('sha256', str(s)))],
  ['adler32sum', fn(['string'], ([s]) => adler32(str(s)))],
  ['toJson', fn(['any'], ([v]) => goJson(v) ?? '')],
  ['mustToJson', fn(['any'], ([v]) => mustJson(goJson(v), v))],
  ['toPrettyJson', fn(['any'], ([v]) => goJson(v, { indent: '  ' }) ?? '')],
  ['mustToPrettyJson', fn(['any'], ([v]) => mustJson(goJson(v, { indent: '  ' }), v))],
  ['toRawJson', fn(['any'], ([v]) => mustJson(goJson(v, { escapeHtml: false }), v))],
  ['mustToRawJson', fn(['any'], ([v]) => mustJson(goJson(v, { escapeHtml: false }), v))],
  ['fromJson', fn(['string'], ([s]) => fromJson(str(s), 'map'))],
  ['fromJsonArray', fn(['string'], ([s]) => fromJson(str(s), 'array'))],
  ['toYaml', fn(['any'], ([v]) => (goJson(v) === undefined ? '' : toYaml(v).replace(/\n$/, '')))],
  ['fromYaml', fn(['string'], ([s]) => fromYaml(str(s), 'map'))],
  ['fromYamlArray', fn(['string'], ([s]) => fromYaml(str(s), 'array'))],
  ['semverCompare', fn(['string', 'string'], ([c, v]) => semverCompare(str(c), str(v)))],
  ['ipNet', fn(['string'], ([s]) => ipNet(str(s)))],
  ['ipAt', fn(['string', 'int'], ([s, i]) => ipAt(str(s), int(i)))],
]);

function mustJson(json: string | undefined, value: GoValue): string {
  if (json === undefined) throw new FunctionError(`json: unsupported value: ${String(value)}`);
  return json;
}
