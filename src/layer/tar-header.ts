/**
 * Decoding of one 512-byte tar header block (POSIX.1-2001 pax / ustar, with the GNU extensions GNU tar and
 * Docker emit). Pure functions over bytes; tar-index.ts does the I/O.
 * References: POSIX `pax` "ustar Interchange Format" and "pax Extended Header"; GNU tar manual "Basic Tar Format".
 */
export const BLOCK_SIZE = 512;

export interface RawHeader {
  name: string;
  linkname: string;
  size: number;
  typeflag: string;
}

/** Rounds a content size up to the block boundary where the next header starts. */
export function paddedSize(size: number): number {
  return Math.ceil(size / BLOCK_SIZE) * BLOCK_SIZE;
}

export function isZeroBlock(block: Uint8Array): boolean {
  for (const byte of block) if (byte !== 0) return false;
  return true;
}

/** Does the block carry the ustar magic (POSIX `ustar\0` or GNU `ustar `)? Used to tell "corrupt tar" from "not a tar". */
export function hasUstarMagic(block: Buffer): boolean {
  return block.toString('latin1', 257, 262) === 'ustar';
}

/**
 * The checksum is the sum of the header bytes with the checksum field read as eight spaces. POSIX says unsigned;
 * some historic tars summed signed chars, and GNU tar accepts both, so do we.
 */
export function checksumMatches(block: Buffer): boolean {
  const stored = parseOctal(block.subarray(148, 156));
  if (stored === undefined) return false;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK_SIZE; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : (block[i] as number);
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return stored === unsigned || stored === signed;
}

function parseOctal(field: Buffer): number | undefined {
  const text = field
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .replace(/^ +/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) return undefined;
  return parseInt(text, 8);
}

/**
 * Numeric fields are octal text, or — for values that do not fit, e.g. sizes ≥ 8 GiB — GNU's base-256 encoding:
 * first byte 0x80, then the value big-endian. Negative base-256 (0xff) is meaningless for sizes and refused.
 */
export function parseNumeric(field: Buffer): number | undefined {
  const first = field[0] as number;
  if (first & 0x80) {
    if (first === 0xff) return undefined;
    let value = first & 0x7f;
    for (let i = 1; i < field.length; i++) value = value * 256 + (field[i] as number);
    return Number.isSafeInteger(value) ? value : undefined;
  }
  return parseOctal(field);
}

function cString(block: Buffer, start: number, end: number): string {
  const field = block.subarray(start, end);
  const nul = field.indexOf(0);
  return field.subarray(0, nul === -1 ? field.length : nul).toString('utf8');
}

/** Decodes a header whose checksum already matched; `undefined` when its size field is unreadable. */
export function decodeHeader(block: Buffer): RawHeader | undefined {
  const size = parseNumeric(block.subarray(124, 136));
  if (size === undefined) return undefined;
  let name = cString(block, 0, 100);
  // The 155-byte prefix exists only in POSIX ustar ("ustar\0" "00"); GNU's old format keeps atime/ctime there.
  if (block.toString('latin1', 257, 265) === 'ustar\u000000') {
    const prefix = cString(block, 345, 500);
    if (prefix) name = `${prefix}/${name}`;
  }
  const typeflag = String.fromCharCode(block[156] as number);
  return { name, linkname: cString(block, 157, 257), size, typeflag: typeflag === '\0' ? '0' : typeflag };
}

/**
 * pax extended header records: `"%d %s=%s\n"`, the length counting the whole record. Values are UTF-8 and
 * may contain anything but the record terminator, so parse by length, not by splitting lines.
 */
export function parsePaxRecords(data: Buffer): Map<string, string> | undefined {
  const records = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break; // some writers pad the block with NULs
    const space = data.indexOf(0x20, pos);
    if (space === -1) return undefined;
    const length = Number(data.toString('latin1', pos, space));
    if (!Number.isInteger(length) || length <= space - pos || pos + length > data.length) return undefined;
    const record = data.subarray(space + 1, pos + length - 1);
    const equals = record.indexOf(0x3d);
    if (equals === -1 || data[pos + length - 1] !== 0x0a) return undefined;
    records.set(record.subarray(0, equals).toString('utf8'), record.subarray(equals + 1).toString('utf8'));
    pos += length;
  }
  return records;
}
