// Layer compression throughput: kimg's writeLayer (parallel deterministic gzip, zstd) vs `gzip -6` and `pigz -6`
// (when installed) on the same input, in the same run. Prints MB/s of uncompressed input and kimg/peer ratios.
//
//   npm run bench -- compress [--size-mb 256] [--runs 3] [--workdir DIR]
//
// The input mixes real executables from /usr/bin with YAML-like text, like a cluster image's rootfs.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Writable } from 'stream';
import { parseArgs } from 'util';
import { writeLayer, type LayerCompressionKind } from '../src/layer';
import { median } from './lib/measure';
import { repoRoot, which } from './lib/paths';

interface Row {
  tool: string;
  seconds: number;
  bytes: number;
}

function makeInput(file: string, size: number): void {
  if (fs.existsSync(file) && fs.statSync(file).size === size) return;
  const out = fs.openSync(file, 'w');
  let written = 0;
  const text = Buffer.from(
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kube-proxy\ndata:\n  mode: ipvs\n',
  );
  for (const name of fs.readdirSync('/usr/bin').sort()) {
    if (written >= size) break;
    const bin = path.join('/usr/bin', name);
    try {
      if (!fs.statSync(bin).isFile()) continue;
      const data = fs.readFileSync(bin);
      const chunk = Buffer.concat([data, text]).subarray(0, size - written);
      fs.writeSync(out, chunk);
      written += chunk.length;
    } catch {
      // unreadable binary: skip
    }
  }
  for (; written < size; written += text.length) fs.writeSync(out, text.subarray(0, size - written));
  fs.closeSync(out);
}

async function kimg(file: string, compression: LayerCompressionKind, workers?: number): Promise<Row> {
  const size = fs.statSync(file).size;
  let bytes = 0;
  const sink = new Writable({ write: (chunk: Buffer, _e, cb) => ((bytes += chunk.length), cb()) });
  const started = process.hrtime.bigint();
  const entry = { path: 'input', type: 'file' as const, mode: 0o644, size };
  await writeLayer([{ ...entry, open: () => fs.createReadStream(file, { highWaterMark: 1 << 20 }) }], sink, {
    compression,
    workers,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { tool: `kimg ${compression}${workers ? ` (${workers} worker)` : ''}`, seconds, bytes };
}

function peer(tool: string, args: string[], file: string): Promise<Row> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(tool, [...args, '-c', file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let bytes = 0;
    child.stdout.on('data', (chunk: Buffer) => (bytes += chunk.length));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${tool} exited ${code}`));
      resolve({
        tool: `${tool} ${args.join(' ')}`,
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
        bytes,
      });
    });
  });
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'size-mb': { type: 'string', default: '256' },
      runs: { type: 'string', default: '3' },
      workdir: { type: 'string', default: path.join(repoRoot(), '.bench-work', 'compress') },
    },
  });
  const baseline = process.memoryUsage.rss();
  const size = Number(values['size-mb']) * 2 ** 20;
  const runs = Number(values.runs);
  fs.mkdirSync(values.workdir, { recursive: true });
  const file = path.join(values.workdir, `input-${values['size-mb']}.bin`);
  makeInput(file, size);

  const cases: [string, () => Promise<Row>][] = [
    ['kimg gzip', () => kimg(file, 'gzip')],
    ['kimg gzip 1', () => kimg(file, 'gzip', 1)],
    ['kimg zstd', () => kimg(file, 'zstd')],
    ['gzip -6', () => peer('gzip', ['-6', '-n'], file)],
  ];
  if (which('pigz')) cases.push(['pigz -6', () => peer('pigz', ['-6', '-n'], file)]);
  const results = new Map<string, Row[]>();
  for (let i = 0; i < runs; i++) {
    for (const [name, work] of cases) results.set(name, [...(results.get(name) ?? []), await work()]);
  }
  const peakGrowthMiB = (process.resourceUsage().maxRSS * 1024 - baseline) / 2 ** 20;

  const mbps = (name: string) => size / 1e6 / median((results.get(name) ?? []).map((row) => row.seconds));
  console.log(`input ${values['size-mb']} MiB, ${os.availableParallelism()} cores, median of ${runs}`);
  console.log('tool'.padEnd(16), 'MB/s'.padStart(8), 'ratio'.padStart(7), 'compressed'.padStart(12));
  for (const [name] of cases) {
    const rows = results.get(name) ?? [];
    const ratioText = (size / (rows[0]?.bytes ?? 1)).toFixed(2);
    console.log(
      name.padEnd(16),
      mbps(name).toFixed(0).padStart(8),
      ratioText.padStart(7),
      String(rows[0]?.bytes).padStart(12),
    );
  }
  // kimg time / peer time, as every bench reports it: < 1 means kimg is faster.
  console.log(`kimg gzip / gzip -6 time: ${(mbps('gzip -6') / mbps('kimg gzip')).toFixed(2)}`);
  if (results.has('pigz -6'))
    console.log(`kimg gzip / pigz -6 time: ${(mbps('pigz -6') / mbps('kimg gzip')).toFixed(2)}`);
  console.log(`peak RSS growth of the bench process (all kimg runs): ${peakGrowthMiB.toFixed(0)} MiB`);
  console.log(`load average during the run: ${os.loadavg()[0]?.toFixed(1)} (numbers are noise when ≫ cores)`);
  return 0;
}
