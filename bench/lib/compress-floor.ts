// The "floor" of the build benchmark: the layer's tar (already on disk) compressed in one Node process with the
// settings kimg build uses — parallel gzip (level 6 unless LEVEL is given) over all cores in 1 MiB blocks, or zstd
// level 3 with libzstd's workers — to nowhere, hashing the tar once (the diff ID every layer needs). No walk, no
// file reads, no store: what compression costs on this machine.
//
//   node dist-bench/bench/lib/compress-floor.js TAR gzip|zstd [LEVEL]   → prints the compressed size
import * as fs from 'fs';
import { DeflatePool, encodeTarStream } from '../../src/layer';

async function main(): Promise<void> {
  const [tar, kind, level] = process.argv.slice(2);
  if (!tar || (kind !== 'gzip' && kind !== 'zstd'))
    throw new Error('usage: compress-floor TAR gzip|zstd [LEVEL]');
  const pool = kind === 'gzip' ? new DeflatePool() : undefined;
  try {
    const layer = encodeTarStream(fs.createReadStream(tar, { highWaterMark: 1 << 20 }), {
      compression: kind,
      ...(level !== undefined && { level: Number(level) }),
      ...(pool && { pool }),
    });
    let size = 0;
    for await (const chunk of layer.chunks) size += chunk.length;
    console.log(size);
  } finally {
    await pool?.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
