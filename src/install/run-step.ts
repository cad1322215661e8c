import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import type { Readable } from 'node:stream';
import type { StepRecord } from './install-state';
import type { PlannedStep } from './install-plan';

export interface RunStepOptions {
  /** The log file of this step (overwritten: a rerun's log replaces the failed one). */
  log: string;
  /** The target, for the log path recorded relative to it. */
  target: string;
  /** Each output line, prefixed with the step's name (the CLI writes it to stderr). */
  onLine?: (line: string) => void;
  signal?: AbortSignal;
}

/**
 * Runs one step as `bash -c COMMAND` in its folder (sealos: `cd <rootfs>/scripts && bash <hook>`), with the
 * process environment plus the step's, stdout and stderr streamed line by line with a `[name]` prefix and kept
 * whole in the log. Resolves with the record (its exit code: 128+N for a signal, as a shell reports it).
 */
export async function runStep(step: PlannedStep, options: RunStepOptions): Promise<StepRecord> {
  await mkdir(dirname(options.log), { recursive: true });
  const log = createWriteStream(options.log);
  const startedAt = new Date();
  const started = performance.now();
  // -e: a command of a multi-line app script that fails stops it (sealos joins them with `&&` per image).
  const child = spawn('bash', ['-e', '-c', step.command], {
    cwd: step.cwd,
    env: { ...process.env, ...step.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.signal && { signal: options.signal }),
  });
  const prefix = `[${step.name}] `;
  const pumps = [child.stdout, child.stderr].map((stream) => pump(stream, log, prefix, options.onLine));
  const exitCode = await new Promise<number>((resolve) => {
    child.once('error', (err) => {
      log.write(`kimg: cannot run bash: ${err.message}\n`);
      resolve(127);
    });
    child.once('close', (code, signal) => resolve(code ?? 128 + signalNumber(signal)));
  });
  await Promise.all(pumps);
  await new Promise<void>((resolve, reject) =>
    log.end((err?: Error | null) => (err ? reject(err) : resolve())),
  );
  return {
    name: step.name,
    command: step.command,
    exitCode,
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
    log: relative(options.target, options.log),
    logSha256: createHash('sha256')
      .update(await readFile(options.log))
      .digest('hex'),
  };
}

async function pump(
  stream: Readable,
  log: NodeJS.WritableStream,
  prefix: string,
  onLine?: (line: string) => void,
): Promise<void> {
  let rest = '';
  for await (const chunk of stream) {
    const buffer = chunk as Buffer;
    log.write(buffer);
    if (!onLine) continue;
    const lines = (rest + buffer.toString('utf8')).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) onLine(prefix + line);
  }
  if (rest !== '' && onLine) onLine(prefix + rest);
}

function signalNumber(signal: NodeJS.Signals | null): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return (signal && numbers[signal]) ?? 0;
}
