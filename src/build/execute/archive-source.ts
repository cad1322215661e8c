import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { decompressed } from '../../unpack';

const TAR_BLOCK = 512;

/**
 * Whether ADD should unpack `path`: a tar, plain or compressed with gzip or zstd (Dockerfile reference, "ADD":
 * "a local tar archive in a recognized compression format … is unpacked as a directory"). Recognised by
 * content — a valid first tar header — never by file name, as Docker does.
 */
export async function isTarArchive(path: string): Promise<boolean> {
  const { stream } = await decompressed(createReadStream(path));
  const block = await readHead(stream, TAR_BLOCK).catch(() => Buffer.alloc(0));
  return block.length === TAR_BLOCK && validHeader(block);
}

async function readHead(stream: Readable, bytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      length += (chunk as Buffer).length;
      if (length >= bytes) break;
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks).subarray(0, bytes);
}

/** POSIX ustar: the checksum (bytes 148–155, octal) is the sum of the header with that field read as spaces. */
function validHeader(block: Buffer): boolean {
  if (block.every((byte) => byte === 0)) return false;
  const stored = parseInt(
    block
      .subarray(148, 156)
      .toString('latin1')
      .replace(/[\0 ]+$/g, '')
      .trim(),
    8,
  );
  if (Number.isNaN(stored)) return false;
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
  return sum === stored;
}
