import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { median, Sample } from './measure';

/** The results of one tool on one case. */
export interface ToolResult {
  samples: Sample[];
  medianSeconds: number;
  /** Largest peak RSS over the samples, MiB. */
  peakRssMiB: number | null;
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
}

export function summarize(samples: Sample[], check?: string): ToolResult {
  const rss = samples.map((s) => s.peakRssBytes).filter((x): x is number => x !== null);
  return {
    samples,
    medianSeconds: median(samples.map((s) => s.seconds)),
    peakRssMiB: rss.length ? Math.max(...rss) / 2 ** 20 : null,
    ...(check !== undefined ? { check } : {}),
  };
}

export function ratio(kimg: ToolResult | null, peer: ToolResult | null): number | null {
  return kimg && peer && peer.medianSeconds > 0 ? kimg.medianSeconds / peer.medianSeconds : null;
}

const fmt = (x: number | null | undefined, digits: number, suffix = '') =>
  x === null || x === undefined ? 'n/a' : x.toFixed(digits) + suffix;

/** A plain-text table, also valid Markdown, so it can be pasted into docs/benchmarks.md as is. */
export function table(cases: CaseResult[], peerName: string): string {
  const head = [
    'case',
    'kimg s',
    `${peerName} s`,
    `kimg/${peerName}`,
    'kimg RSS MiB',
    `${peerName} RSS MiB`,
    'check',
  ];
  const rows = cases.map((c) => [
    c.name,
    fmt(c.kimg?.medianSeconds, 2),
    fmt(c.peer?.medianSeconds, 2),
    fmt(c.ratio, 2, 'x'),
    fmt(c.kimg?.peakRssMiB, 0),
    fmt(c.peer?.peakRssMiB, 0),
    c.errors?.kimg ? 'kimg FAILED' : c.errors?.skopeo ? 'peer FAILED' : (c.kimg?.check ?? '-'),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) =>
    '| ' + cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ') + ' |';
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
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
