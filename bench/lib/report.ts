import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cpuSeconds, median, Sample } from './measure';

/** The results of one tool on one case. */
export interface ToolResult {
  samples: Sample[];
  medianSeconds: number;
  /** Largest peak RSS over the samples, MiB. */
  peakRssMiB: number | null;
  /** Median over the samples of user + system CPU seconds (null without GNU time). */
  cpuSeconds: number | null;
  /** Median CPU seconds of each watched registry ('src', 'dst') during the samples, when measured. */
  registryCpuSeconds?: Record<string, number>;
  /** Outcome of the untimed correctness check on the tool's output, if the case has one. */
  check?: string;
}

export interface CaseResult {
  name: string;
  kimg: ToolResult | null;
  peer: ToolResult | null;
  /** kimg median time / peer median time; < 1 means kimg is faster. */
  ratio: number | null;
  /** First error of each tool that failed, by tool name ('kimg', 'skopeo'). */
  errors?: Record<string, string>;
  /** Reference rows ("floors"): not tools, measuring sticks run on the same case (copy.ts). */
  references?: ReferenceResult[];
}

/** A reference measured like a tool; `ratio` is its median time / the peer's. */
export interface ReferenceResult {
  name: string;
  result: ToolResult | null;
  ratio: number | null;
  error?: string;
}

export function summarize(samples: Sample[], check?: string): ToolResult {
  const rss = samples.map((s) => s.peakRssBytes).filter((x): x is number => x !== null);
  const cpu = samples.map(cpuSeconds).filter((x): x is number => x !== null);
  const registryCpu: Record<string, number> = {};
  for (const role of new Set(samples.flatMap((s) => Object.keys(s.registryCpuSeconds ?? {})))) {
    const xs = samples
      .map((s) => s.registryCpuSeconds?.[role])
      .filter((x): x is number => typeof x === 'number');
    if (xs.length) registryCpu[role] = median(xs);
  }
  return {
    samples,
    medianSeconds: median(samples.map((s) => s.seconds)),
    peakRssMiB: rss.length ? Math.max(...rss) / 2 ** 20 : null,
    // Only when every sample has it: a median over some samples would not describe the same runs as the time.
    cpuSeconds: cpu.length && cpu.length === samples.length ? Math.round(median(cpu) * 1000) / 1000 : null,
    ...(Object.keys(registryCpu).length ? { registryCpuSeconds: registryCpu } : {}),
    ...(check !== undefined ? { check } : {}),
  };
}

export function ratio(kimg: ToolResult | null, peer: ToolResult | null): number | null {
  return kimg && peer && peer.medianSeconds > 0 ? kimg.medianSeconds / peer.medianSeconds : null;
}

const fmt = (x: number | null | undefined, digits: number, suffix = '') =>
  x === null || x === undefined ? 'n/a' : x.toFixed(digits) + suffix;

/**
 * A plain-text table, also valid Markdown, so it can be pasted into docs/benchmarks.md as is. `cpu` adds the
 * median CPU seconds (user + system) of each tool. A case's references follow it as rows named `reference: …`,
 * their numbers in the kimg columns and their ratio to the peer in the ratio column.
 */
export function table(
  cases: CaseResult[],
  peerName: string,
  opts: { peerCheck?: boolean; cpu?: boolean } = {},
): string {
  const cpu = opts.cpu ?? false;
  const head = [
    'case',
    'kimg s',
    `${peerName} s`,
    `kimg/${peerName}`,
    ...(cpu ? ['kimg CPU s', `${peerName} CPU s`] : []),
    'kimg RSS MiB',
    `${peerName} RSS MiB`,
    'check',
  ];
  const rows = cases.flatMap((c) => [
    [
      c.name,
      fmt(c.kimg?.medianSeconds, 2),
      fmt(c.peer?.medianSeconds, 2),
      fmt(c.ratio, 2, 'x'),
      ...(cpu ? [fmt(c.kimg?.cpuSeconds, 2), fmt(c.peer?.cpuSeconds, 2)] : []),
      fmt(c.kimg?.peakRssMiB, 0),
      fmt(c.peer?.peakRssMiB, 0),
      checkCell(c, peerName, opts.peerCheck ?? false),
    ],
    ...(c.references ?? []).map((r) => [
      `reference: ${r.name}`,
      fmt(r.result?.medianSeconds, 2),
      '-',
      fmt(r.ratio, 2, 'x'),
      ...(cpu ? [fmt(r.result?.cpuSeconds, 2), '-'] : []),
      fmt(r.result?.peakRssMiB, 0),
      '-',
      r.error ? 'FAILED' : (r.result?.check ?? '-'),
    ]),
  ]);
  return markdownTable(head, rows);
}

/** A Markdown table, each column as wide as its widest cell (the layout of every table in docs/benchmarks.md). */
export function markdownTable(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) =>
    '| ' + cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ') + ' |';
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The check column: kimg's check, or with `peerCheck` both tools' (once when they agree). */
function checkCell(c: CaseResult, peerName: string, peerCheck: boolean): string {
  if (!peerCheck) {
    return c.errors?.kimg ? 'kimg FAILED' : c.errors?.skopeo ? 'peer FAILED' : (c.kimg?.check ?? '-');
  }
  const k = c.errors?.kimg ? 'FAILED' : (c.kimg?.check ?? null);
  const p = c.errors?.[peerName] ? 'FAILED' : (c.peer?.check ?? null);
  if (k !== null && k === p) return `both: ${k}`;
  return [k !== null && `kimg: ${k}`, p !== null && `${peerName}: ${p}`].filter(Boolean).join('; ') || '-';
}

export function machineInfo(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
  };
}

export function writeJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
}

/**
 * The kimg being measured: $KIMG_BENCH_REV when set (say which build $KIMG_BENCH_BIN is), else this checkout's
 * commit (with -dirty when tracked files have changes), or 'unknown'.
 */
export function kimgRevision(root: string): string {
  if (process.env.KIMG_BENCH_REV) return process.env.KIMG_BENCH_REV;
  const git = (args: string[]) =>
    spawnSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const head = git(['rev-parse', '--short', 'HEAD']);
  if (head.status !== 0) return 'unknown';
  const dirty = git(['status', '--porcelain', '--untracked-files=no']).stdout.trim() !== '';
  return head.stdout.trim() + (dirty ? '-dirty' : '');
}

/** One line for the docs: `Machine: 2 × CPU, 23 GiB, Linux 6.x, Node v20 — skopeo 1.9.3 — kimg abc123 — date`. */
export function machineLine(peers: Record<string, string>, kimg: string, date = new Date()): string {
  const m = machineInfo() as {
    cpus: number;
    cpuModel: string;
    memoryGiB: number;
    kernel: string;
    node: string;
  };
  const peerText = Object.values(peers).join(' — ');
  return (
    `Machine: ${m.cpus} × ${m.cpuModel.trim()}, ${m.memoryGiB} GiB, Linux ${m.kernel}, Node ${m.node}` +
    ` — ${peerText} — kimg ${kimg} — date ${date.toISOString().slice(0, 10)}`
  );
}
