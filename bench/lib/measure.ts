import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** One timed run of an external command. */
export interface Sample {
  seconds: number;
  /** Peak resident set size of the command's process, bytes; null when it could not be read. */
  peakRssBytes: number | null;
  /**
   * CPU seconds in user and kernel mode of the command and the children it waited for (GNU time's %U and %S,
   * from wait4's rusage); null without GNU time (the proc-poll fallback cannot see them). Optional so that
   * samples made elsewhere (build.ts copies fields) stay valid.
   */
  userSeconds?: number | null;
  systemSeconds?: number | null;
  /** CPU seconds used meanwhile by other processes watched by the caller (e.g. the registries; registries.ts). */
  registryCpuSeconds?: Record<string, number | null>;
}

/** user + system CPU seconds of a sample, or null when they were not measured. */
export function cpuSeconds(s: Sample): number | null {
  return s.userSeconds == null || s.systemSeconds == null ? null : s.userSeconds + s.systemSeconds;
}

/** How peak RSS (and CPU) is read: GNU time's %U %S %M (wait4 rusage, exact), else polling VmHWM (no CPU). */
export type RssMethod = 'gnu-time' | 'proc-poll';

const GNU_TIME = '/usr/bin/time';
const POLL_MS = 10;
/** Captured output kept for error messages; a benchmarked command can print a lot. */
const OUTPUT_TAIL_BYTES = 8 * 1024;

/** GNU time when installed (Debian package `time`); KIMG_BENCH_RSS=proc-poll forces the fallback. */
export function rssMethod(): RssMethod {
  if (process.env.KIMG_BENCH_RSS === 'proc-poll') return 'proc-poll';
  try {
    fs.accessSync(GNU_TIME, fs.constants.X_OK);
    return 'gnu-time';
  } catch {
    return 'proc-poll';
  }
}

function readVmHwmBytes(pid: number): number | null {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null; // process already gone
  }
}

/**
 * Runs `cmd args…` to completion and returns its wall time and peak RSS. Rejects with the command's output tail
 * when it exits non-zero, so a broken run never becomes a number in the table.
 */
export function measure(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Sample> {
  return measureOutput(cmd, args, env).then(({ stdout: _stdout, ...sample }) => sample);
}

/** measure(), also returning the command's whole stdout (for commands whose report is checked afterwards). */
export function measureOutput(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Sample & { stdout: string }> {
  const method = rssMethod();
  const timeFile = path.join(os.tmpdir(), `kimg-bench-time-${process.pid}-${Date.now()}.txt`);
  const [file, argv] =
    method === 'gnu-time' ? [GNU_TIME, ['-f', '%U %S %M', '-o', timeFile, cmd, ...args]] : [cmd, args];

  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(file, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const stdout: Buffer[] = [];
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_BYTES);
    };
    child.stdout.on('data', (chunk: Buffer) => {
      stdout.push(chunk);
      keep(chunk);
    });
    child.stderr.on('data', keep);

    let polledPeak: number | null = null;
    const poller =
      method === 'proc-poll' && child.pid !== undefined
        ? setInterval(() => {
            const v = readVmHwmBytes(child.pid as number);
            if (v !== null) polledPeak = Math.max(polledPeak ?? 0, v);
          }, POLL_MS)
        : null;

    child.on('error', (err) => {
      if (poller) clearInterval(poller);
      reject(new Error(`${cmd}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (poller) clearInterval(poller);
      let peakRssBytes = polledPeak;
      let userSeconds: number | null = null;
      let systemSeconds: number | null = null;
      if (method === 'gnu-time') {
        // The last line is the format's ('Command exited with non-zero status N' may come before it).
        const last = readOr(timeFile, '').trim().split('\n').pop() ?? '';
        const [user, sys, kb] = last.trim().split(/\s+/).map(Number);
        const ok = (x: number | undefined): x is number => x !== undefined && Number.isFinite(x);
        peakRssBytes = ok(kb) ? kb * 1024 : null;
        userSeconds = ok(user) ? user : null;
        systemSeconds = ok(sys) ? sys : null;
        fs.rmSync(timeFile, { force: true });
      }
      if (code !== 0) {
        reject(new Error(`${cmd} ${args.join(' ')} exited ${code ?? signal}:\n${tail.trim()}`));
        return;
      }
      resolve({
        seconds,
        peakRssBytes,
        userSeconds,
        systemSeconds,
        stdout: Buffer.concat(stdout).toString('utf8'),
      });
    });
  });
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

/** Runs a command for its stdout (setup and checks, never timed). */
export function capture(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-OUTPUT_TAIL_BYTES)));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(Buffer.concat(out).toString('utf8'))
        : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${err.trim()}`)),
    );
  });
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}
