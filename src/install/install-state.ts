import { chmod, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { z } from 'zod';
import { KimgError } from '../errors';
import { writeFileAtomic } from '../fs/atomic-file';
import { memo, zod } from '../lazy/lazy';

/**
 * The receipt of an install, `DIR/.kimg/state.json`: what was installed (images and digests), each step with its
 * exit code, duration and the sha256 of its log, the served registry. A rerun reads it to skip what succeeded; a
 * failed install records where it stopped; uninstall records its own steps and keeps the file.
 */
export const STATE_VERSION = 1;

export type ClusterStatus = 'installing' | 'installed' | 'failed' | 'uninstalling' | 'uninstalled';

export interface InstalledImage {
  /** As given on the command line. */
  name: string;
  /** The platform manifest's digest. */
  digest: string;
  type: 'rootfs' | 'patch' | 'application';
  /** Relative to the target: `rootfs` or `apps/<name>`. */
  path: string;
  /** The Kubernetes version (rootfs) or range (apps), as the labels say. */
  version?: string;
}

export interface StepRecord {
  /** `check`, `registry`, `init-cri`, `init`, `app:<name>`, `clean`… */
  name: string;
  command: string;
  exitCode: number;
  startedAt: string;
  durationMs: number;
  /** Relative to the target. */
  log: string;
  logSha256: string;
}

export interface RegistryRecord {
  url: string;
  host: string;
  port: number;
  pid: number;
  /** The images whose `registry/` it serves. */
  images: string[];
  log: string;
}

export interface CleanHook {
  name: string;
  command: string;
  cwd: string;
  env: Record<string, string>;
}

export interface ClusterState {
  version: number;
  cluster: string;
  target: string;
  status: ClusterStatus;
  updatedAt: string;
  images: InstalledImage[];
  /** The install's steps in the order they ran; a rerun replaces a step's record. */
  steps: StepRecord[];
  /** Uninstall's steps, in the order they ran. */
  cleanSteps: StepRecord[];
  registry?: RegistryRecord;
  /** The clean hooks uninstall runs, in order, fixed at install (the rootfs image may be gone from the store by then). */
  clean: CleanHook[];
  /** `--env` of the last install (never the process environment: it may hold secrets). */
  env: Record<string, string>;
  /** Where a failed install stopped, for `ps` and the next run. */
  failedStep?: string;
}

const stateSchema = memo((): z.ZodType<ClusterState> => {
  const z = zod();
  const step = z.looseObject({
    name: z.string(),
    command: z.string(),
    exitCode: z.number().int(),
    startedAt: z.string(),
    durationMs: z.number(),
    log: z.string(),
    logSha256: z.string(),
  });
  return z.looseObject({
    version: z.literal(STATE_VERSION),
    cluster: z.string(),
    target: z.string(),
    status: z.enum(['installing', 'installed', 'failed', 'uninstalling', 'uninstalled']),
    updatedAt: z.string(),
    images: z.array(
      z.looseObject({
        name: z.string(),
        digest: z.string(),
        type: z.enum(['rootfs', 'patch', 'application']),
        path: z.string(),
        version: z.string().optional(),
      }),
    ),
    steps: z.array(step),
    cleanSteps: z.array(step),
    registry: z
      .looseObject({
        url: z.string(),
        host: z.string(),
        port: z.number().int(),
        pid: z.number().int(),
        images: z.array(z.string()),
        log: z.string(),
      })
      .optional(),
    clean: z.array(
      z.looseObject({
        name: z.string(),
        command: z.string(),
        cwd: z.string(),
        env: z.record(z.string(), z.string()),
      }),
    ),
    env: z.record(z.string(), z.string()),
    failedStep: z.string().optional(),
  }) as unknown as z.ZodType<ClusterState>;
});

/** The state at `file`, or undefined when there is none (a cluster never installed there). */
export async function readClusterState(file: string): Promise<ClusterState | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw stateInvalid(file, (err as Error).message);
  }
  const result = stateSchema().safeParse(parsed);
  if (!result.success) throw stateInvalid(file, result.error.issues[0]?.message ?? 'invalid');
  return result.data;
}

export async function writeClusterState(file: string, state: ClusterState): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  state.updatedAt = new Date().toISOString();
  await writeFileAtomic(file, `${JSON.stringify(state, null, 2)}\n`);
  // --env values and image ENV may be secrets (a registry password): the receipt is for root's eyes only.
  await chmod(file, 0o600);
}

function stateInvalid(file: string, reason: string): KimgError {
  return new KimgError(
    'INVALID_ARGUMENT',
    `${file} is not a kimg install state: ${reason}`,
    'the file was edited or written by another tool; move it away and install with --force',
  );
}
