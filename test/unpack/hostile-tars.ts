// Generators of malicious and oversized tars for the unpacker's tests (test/unpack) and the CLI's
// (test/cli/hostile-build.test.ts). Everything is made with tar-stream in memory or streamed, never stored.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import { createGzip } from 'node:zlib';
import { pack, type Header } from 'tar-stream';

export type Member = { header: Partial<Header> & { name: string }; content?: Buffer };

/** A tar made from headers and contents, in the order given. */
export async function tarOf(members: Member[]): Promise<Buffer> {
  const archive = pack();
  for (const { header, content } of members) archive.entry(header, content ?? Buffer.alloc(0));
  archive.finalize();
  return Buffer.concat(await Readable.from(archive).toArray());
}

export const file = (name: string, content = name): Member => ({
  header: { name, mode: 0o644 },
  content: Buffer.from(content),
});
export const dir = (name: string, mode = 0o755): Member => ({ header: { name, type: 'directory', mode } });
export const symlink = (name: string, linkname: string): Member => ({
  header: { name, type: 'symlink', linkname },
});
export const hardlink = (name: string, linkname: string): Member => ({
  header: { name, type: 'link', linkname },
});

/**
 * A gzipped tar with one file of `bytes` zeros: a decompression bomb (1 GiB of zeros gzips to ~1 MiB), streamed
 * to `path` so the test never holds it in memory.
 */
export async function gzipBomb(path: string, bytes: number, name = 'bomb'): Promise<void> {
  const archive = pack();
  const zeros = Buffer.alloc(1024 * 1024);
  const entry = archive.entry({ name, size: bytes, mode: 0o644 });
  const writing = pipeline(archive, createGzip({ level: 1 }), createWriteStream(path));
  for (let left = bytes; left > 0; left -= zeros.length) {
    const chunk = left >= zeros.length ? zeros : zeros.subarray(0, left);
    if (!entry.write(chunk)) await new Promise<void>((resolve) => entry.once('drain', () => resolve()));
  }
  entry.end(undefined as never);
  archive.finalize();
  await writing;
}

/** `count` empty files: a bomb of entries (inodes), tiny once gzipped. */
export async function manyEntries(count: number): Promise<Buffer> {
  return tarOf(Array.from({ length: count }, (_, i) => ({ header: { name: `f${i}`, mode: 0o644 } })));
}
