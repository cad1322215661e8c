// Child process of flat-memory.test.ts (node -r test/harness/ts-register.js): writes a layer of SIZE bytes of
// generated content and prints the growth of peak RSS over the baseline measured after start-up, in bytes.
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { writeLayer, type LayerCompressionKind } from '../../src/layer';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain JavaScript helper shared with JS children
const { peakRss, resetPeak } = require('../harness/peak-rss') as {
  peakRss: () => number;
  resetPeak: () => void;
};

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
  // Peak from here on, of this process only (harness/peak-rss.js: getrusage's maxRSS is inherited across exec).
  resetPeak();
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
  const peak = peakRss();
  process.stdout.write(JSON.stringify({ growth: peak - baseline }));
  if (process.env['DEBUG_MEM']) console.error(process.memoryUsage());
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
