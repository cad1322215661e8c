import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { makeTempDir, REPO_ROOT, skopeo } from '../harness';

/** A running `kimg registry serve`, started as users start it (bin/kimg → dist/). */
export interface ServeProcess {
  child: ChildProcess;
  pid: number;
  /** From the start-up line. */
  url: string;
  /** The start-up line itself. */
  line: string;
  /** `127.0.0.1:PORT`, for skopeo references. */
  host: string;
  stderr(): string;
  /** Resolves with the exit status (or signal) once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `kimg registry serve ARGS --addr 127.0.0.1:0` and waits for its start-up line (or its failure). */
export async function startServe(
  args: string[],
  options: { root?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<ServeProcess> {
  if (!existsSync(join(REPO_ROOT, 'dist', 'cli', 'main.js'))) throw new Error('run `npm run build` first');
  const child = spawn(
    process.execPath,
    [join(REPO_ROOT, 'bin', 'kimg'), 'registry', 'serve', '--addr', '127.0.0.1:0', ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env, ...(options.root !== undefined && { KIMG_ROOT: options.root }) },
    },
  );
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /(https?:\/\/[^\s"]+)/.exec(stdout);
      if (match && stdout.includes('\n')) resolve(match[1] as string);
    });
    void exited.then(({ code }) => reject(new Error(`kimg registry serve exited ${code}\n${stderr}`)));
  });
  return {
    child,
    pid: child.pid as number,
    url,
    line: stdout.split('\n')[0] ?? '',
    host: new URL(url).host,
    stderr: () => stderr,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** How many descriptors the process holds open (Linux /proc). */
export async function openFds(pid: number): Promise<number> {
  return (await readdir(`/proc/${pid}/fd`)).length;
}

/** Peak resident set size of a process so far, in MiB (VmHWM). */
export async function peakRssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1]);
  return kb / 1024;
}

export const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/**
 * skopeo copy --all into a `dir:` (which keeps manifest bytes as they came, so Docker schema 2 is not converted);
 * returns the digest of the copied root manifest. skopeo verified every blob on the way.
 */
export async function pull(host: string, name: string, extra: string[] = []): Promise<string> {
  const out = join(await makeTempDir(), 'image');
  const copy = await skopeo([
    'copy',
    '--all',
    '--src-tls-verify=false',
    ...extra,
    `docker://${host}/${name}`,
    `dir:${out}`,
  ]);
  if (copy.code !== 0) throw new Error(`skopeo copy ${name}: ${copy.stderr}`);
  return sha256(await readFile(join(out, 'manifest.json')));
}
