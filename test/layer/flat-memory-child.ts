// Child process of flat-memory.test.ts (node -r test/harness/ts-register.js): writes a layer of SIZE bytes of
// generated content and prints the growth of peak RSS over the baseline measured after start-up, in bytes.
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { writeLayer, type LayerCompressionKind } from '../../src/layer';

async function main(): Promise<void> {
  const size = Number(process.argv[2]);
  const compression = (process.argv[3] ?? 'gzip') as LayerCompressionKind;
  const chunk = Buffer.from(createHash('sha512').update('seed').digest('hex').repeat(1024)); // 128 KiB
  function* content(): Generator<Buffer> {
    for (let left = size; left > 0; left -= chunk.length) {
      chunk.writeUInt32BE(left, 0); // vary the content a little so blocks differ
      yield Buffer.from(chunk.subarray(0, Math.min(left, chunk.length)));
    }
  }
  global.gc?.();
  const baseline = process.memoryUsage.rss();
  const sink = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  await writeLayer(
    [{ path: 'big', type: 'file', mode: 0o644, size, open: () => Readable.from(content()) }],
    sink,
    {
      compression,
      workers: Number(process.env['WORKERS'] ?? 4),
    },
  );
  const peak = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(JSON.stringify({ growth: peak - baseline }));
  if (process.env['DEBUG_MEM']) console.error(process.memoryUsage());
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
