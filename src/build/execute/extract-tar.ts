import { createWriteStream } from 'node:fs';
import { chmod, link, lstat, mkdir, readdir, rm, symlink } from 'node:fs/promises';
import { posix, join } from 'node:path';
import { Readable, type Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract, type Header } from 'tar-stream';
import { DecompressStream } from 'zstd-napi';
import { KimgError } from '../../errors';
import { sniffCompression, SNIFF_BYTES } from '../../layer/compression';

export interface ExtractOptions {
  /** Apply OCI whiteouts (`.wh.NAME`, `.wh..wh..opq`): layers of an image, not a user's ADD archive. */
  whiteouts: boolean;
  /** What the tar is, for messages. */
  what: string;
  signal?: AbortSignal;
}

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

/**
 * Unpacks a tar (plain, gzip or zstd: sniffed) into `dir`. Members that would land outside `dir` — `..`
 * components, or a path through a symlink an earlier member made — are refused (DESIGN.md: "Unpacking refuses
 * paths that escape the target"); devices and FIFOs are skipped (kimg runs unprivileged builds too). Several
 * calls on one `dir` stack layers: later members replace earlier ones, whiteouts delete them.
 */
export async function extractTar(input: Readable, dir: string, options: ExtractOptions): Promise<void> {
  const { head, stream } = await peek(input);
  const decompress: Transform[] =
    sniffCompression(head) === 'gzip'
      ? [createGunzip()]
      : sniffCompression(head) === 'zstd'
        ? [new DecompressStream()]
        : [];
  const reader = extract();
  const feeding = pipeline([stream, ...decompress, reader as unknown as Writable], {
    signal: options.signal,
  });
  feeding.catch(() => undefined);
  const layer = new Set<string>();
  for await (const entry of reader) {
    const name = memberName(entry.header.name, options.what);
    const content = entry as unknown as Readable;
    if (name === undefined) {
      content.resume();
      continue;
    }
    await checkParents(dir, name, options.what);
    const base = posix.basename(name);
    if (options.whiteouts && base.startsWith(WHITEOUT)) {
      const parent = posix.dirname(name);
      if (base === OPAQUE) await clearBelow(dir, parent === '.' ? '' : parent, layer);
      else await rm(join(dir, parent, base.slice(WHITEOUT.length)), { recursive: true, force: true });
      content.resume();
      continue;
    }
    layer.add(name);
    await writeMember(dir, name, entry.header, content, options.what);
  }
  await feeding;
}

async function writeMember(
  dir: string,
  name: string,
  header: Header,
  content: Readable,
  what: string,
): Promise<void> {
  const path = join(dir, name);
  const mode = (header.mode ?? 0o644) & 0o7777;
  await mkdir(posix.dirname(path), { recursive: true });
  const existing = await lstat(path).catch(() => undefined);
  if (header.type === 'directory') {
    if (existing && !existing.isDirectory()) await rm(path, { recursive: true, force: true });
    await mkdir(path, { recursive: true });
    await chmod(path, mode);
    content.resume();
    return;
  }
  if (existing) await rm(path, { recursive: true, force: true });
  switch (header.type) {
    case 'file':
    case 'contiguous-file':
      await pipeline(content, createWriteStream(path, { mode }));
      await chmod(path, mode);
      return;
    case 'symlink':
      await symlink(header.linkname ?? '', path);
      break;
    case 'link': {
      const target = memberName(header.linkname ?? '', what);
      if (target === undefined) throw escape(what, header.linkname ?? '');
      await checkParents(dir, target, what);
      await link(join(dir, target), path);
      break;
    }
    default:
      break; // devices, FIFOs: not reproducible content and not needed by COPY
  }
  content.resume();
}

/** The member's path relative to the root, or undefined for the root itself; `..` is refused. */
function memberName(raw: string, what: string): string | undefined {
  const parts = raw.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw escape(what, raw);
  return parts.length === 0 ? undefined : parts.join('/');
}

/** No parent of `name` may be a symlink: writing through it could land anywhere on the host. */
async function checkParents(dir: string, name: string, what: string): Promise<void> {
  const parts = name.split('/').slice(0, -1);
  for (let i = 1; i <= parts.length; i++) {
    const stats = await lstat(join(dir, ...parts.slice(0, i))).catch(() => undefined);
    if (!stats) return;
    if (stats.isSymbolicLink()) throw escape(what, name);
  }
}

/** `.wh..wh..opq`: what lower layers put in the directory is hidden; this layer's own members stay. */
async function clearBelow(dir: string, parent: string, layer: ReadonlySet<string>): Promise<void> {
  const names = await readdir(join(dir, parent)).catch(() => [] as string[]);
  for (const name of names) {
    const path = parent === '' ? name : `${parent}/${name}`;
    if (!layer.has(path)) await rm(join(dir, path), { recursive: true, force: true });
  }
}

function escape(what: string, name: string): KimgError {
  return new KimgError(
    'ARCHIVE_INVALID',
    `${what}: member "${name}" would be written outside the extraction directory`,
    'the archive is malformed or malicious; rebuild it with paths relative to its root',
  );
}

/** The first bytes of a stream without losing them. */
async function peek(input: Readable): Promise<{ head: Buffer; stream: Readable }> {
  const chunks: Buffer[] = [];
  let length = 0;
  const iterator = input[Symbol.asyncIterator]();
  while (length < SNIFF_BYTES) {
    const next = await iterator.next();
    if (next.done) break;
    const chunk = next.value as Buffer;
    chunks.push(chunk);
    length += chunk.length;
  }
  async function* rest(): AsyncGenerator<Buffer> {
    yield* chunks;
    for (let next = await iterator.next(); !next.done; next = await iterator.next())
      yield next.value as Buffer;
  }
  return { head: Buffer.concat(chunks), stream: Readable.from(rest()) };
}
