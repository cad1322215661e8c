import { posix } from 'node:path';
import { BLOCK_SIZE } from './tar-header';

/**
 * Encoding of one member header, byte for byte the way Go's archive/tar writes USTAR (the format buildah and
 * BuildKit layers use): octal fields of width-1 digits plus NUL, checksum `%06o\0 `, magic `ustar\0` `00`.
 * A pax extended header (`x`) is added only for what ustar cannot hold — a name or link target that is not
 * ASCII or too long, a size ≥ 8 GiB, ids ≥ 2²¹ — and never carries times (mtime/atime/ctime), so a layer's
 * bytes depend on its content and the chosen timestamp only (image-spec layer.md leaves the tar format to
 * POSIX; POSIX.1-2001 `pax` defines the records). We encode headers ourselves rather than through tar-stream:
 * a dependency upgrade that changed one header byte would change every image digest we ever produced.
 */
export interface MemberHeader {
  name: string;
  type: 'file' | 'hardlink' | 'symlink' | 'directory';
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname?: string;
}

const TYPEFLAG: Record<MemberHeader['type'], string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  directory: '5',
};
const MAX_OCTAL_11 = 0o77777777777;
const MAX_OCTAL_7 = 0o7777777;

/** The header block(s) of one member: `[pax header, pax records…,] ustar header`. */
export function encodeMemberHeader(header: MemberHeader): Buffer {
  const name = header.type === 'directory' ? `${header.name}/` : header.name;
  const pax: Record<string, string> = {};
  const split = splitUstarName(name);
  if (!split) pax['path'] = name;
  const linkname = header.linkname ?? '';
  if (!isAscii(linkname) || Buffer.byteLength(linkname) > 100) pax['linkpath'] = linkname;
  if (header.size > MAX_OCTAL_11) pax['size'] = String(header.size);
  if (header.uid > MAX_OCTAL_7) pax['uid'] = String(header.uid);
  if (header.gid > MAX_OCTAL_7) pax['gid'] = String(header.gid);

  const ustar = ustarBlock({
    name: split?.name ?? asciiPrefix(name, 100),
    prefix: split?.prefix ?? '',
    typeflag: TYPEFLAG[header.type],
    mode: header.mode & 0o7777,
    uid: header.uid > MAX_OCTAL_7 ? 0 : header.uid,
    gid: header.gid > MAX_OCTAL_7 ? 0 : header.gid,
    size: header.size > MAX_OCTAL_11 ? 0 : header.size,
    mtime: Math.min(Math.max(0, Math.floor(header.mtime)), MAX_OCTAL_11),
    linkname: pax['linkpath'] === undefined ? linkname : asciiPrefix(linkname, 100),
  });
  if (Object.keys(pax).length === 0) return ustar;

  const records = Buffer.from(
    Object.keys(pax)
      .sort()
      .map((key) => paxRecord(key, pax[key] as string))
      .join(''),
  );
  // Go's writePAXHeader: `path.Join(dir, "PaxHeaders.0", file)`, mode, ids and mtime all 0.
  const slash = name.lastIndexOf('/');
  const paxName = posix.join(name.slice(0, slash + 1), 'PaxHeaders.0', name.slice(slash + 1));
  const paxHeader = ustarBlock({
    name: paxName,
    prefix: '',
    typeflag: 'x',
    mode: 0,
    uid: 0,
    gid: 0,
    size: records.length,
    mtime: 0,
    linkname: '',
  });
  return Buffer.concat([paxHeader, records, Buffer.alloc(padding(records.length)), ustar]);
}

/** Zero bytes after `size` bytes of content up to the next block boundary. */
export function padding(size: number): number {
  return (BLOCK_SIZE - (size % BLOCK_SIZE)) % BLOCK_SIZE;
}

/** The end of an archive: two zero blocks (POSIX; Go and Docker write exactly these, no record padding). */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK_SIZE);

interface UstarFields {
  name: string;
  prefix: string;
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname: string;
}

function ustarBlock(f: UstarFields): Buffer {
  const block = Buffer.alloc(BLOCK_SIZE);
  block.write(f.name, 0, 100, 'utf8');
  octal(block, 100, 8, f.mode);
  octal(block, 108, 8, f.uid);
  octal(block, 116, 8, f.gid);
  octal(block, 124, 12, f.size);
  octal(block, 136, 12, f.mtime);
  block.write(f.typeflag, 156, 1, 'latin1');
  block.write(f.linkname, 157, 100, 'latin1');
  block.write('ustar\u000000', 257, 8, 'latin1');
  octal(block, 329, 8, 0);
  octal(block, 337, 8, 0);
  block.write(f.prefix, 345, 155, 'latin1');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'latin1');
  return block;
}

function octal(block: Buffer, offset: number, width: number, value: number): void {
  block.write(`${value.toString(8).padStart(width - 1, '0')}\u0000`, offset, width, 'latin1');
}

/**
 * ustar splits a long name at a `/` into prefix (≤ 155) and name (≤ 100); ASCII only. Go's splitUSTARPath:
 * the last `/` within the first 156 bytes.
 */
function splitUstarName(name: string): { prefix: string; name: string } | undefined {
  if (!isAscii(name)) return undefined;
  if (name.length <= 100) return { prefix: '', name };
  const length = name.length > 156 ? 156 : name.endsWith('/') ? name.length - 1 : name.length;
  const slash = name.lastIndexOf('/', length - 1);
  const rest = name.length - slash - 1;
  if (slash <= 0 || rest > 100 || rest === 0 || slash > 155) return undefined;
  return { prefix: name.slice(0, slash), name: name.slice(slash + 1) };
}

/** A pax record `"%d %s=%s\n"` whose leading length counts itself (POSIX pax "extended header"). */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLength = Buffer.byteLength(body);
  let length = bodyLength + String(bodyLength).length;
  if (String(length).length + bodyLength !== length) length = bodyLength + String(length).length;
  return `${length}${body}`;
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Go's toASCII: non-ASCII characters dropped; then cut to the field. */
function asciiPrefix(text: string, max: number): string {
  return [...text]
    .filter((ch) => (ch.codePointAt(0) ?? 0) <= 0x7f)
    .join('')
    .slice(0, max);
}
