import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KimgError } from '../errors';
import { writeFileAtomic } from '../fs/atomic-file';
import { packageRoot } from '../lazy/package-root';
import type { ClusterPaths } from './cluster-paths';
import type { RegistryRecord } from './install-state';

/** What the service process is told (one JSON argument). */
export interface RegistryServiceSpec {
  storeRoot: string;
  images: string[];
  host: string;
  port: number;
  readyFile: string;
}

/** How long a starting service may take to listen (index the layers' headers, bind). */
export const REGISTRY_START_TIMEOUT_MS = 30_000;
/** How long a stopping service gets after SIGTERM before SIGKILL. */
export const REGISTRY_STOP_TIMEOUT_MS = 5_000;

/**
 * Starts the embedded registry as a background service that outlives install (sealos runs its registry as a
 * systemd unit; kimg as a detached process): a pid file, a log, and the address once it listens. The
 * container runtime pulls from it after install returns, so it must not be a child that dies with us.
 */
export async function startRegistryService(
  paths: ClusterPaths,
  spec: Omit<RegistryServiceSpec, 'readyFile'>,
): Promise<RegistryRecord> {
  await mkdir(paths.logsDir, { recursive: true });
  await rm(paths.registryReadyFile, { force: true });
  const log = openSync(paths.registryLog, 'a');
  const full: RegistryServiceSpec = { ...spec, readyFile: paths.registryReadyFile };
  // The service runs from dist/ (also when this process started from the start-up snapshot, or under ts-jest).
  const main = join(packageRoot(), 'dist', 'install', 'registry-service-main.js');
  const child = spawn(process.execPath, [main, JSON.stringify(full)], {
    detached: true,
    stdio: ['ignore', log, log],
    cwd: paths.target,
  });
  closeSync(log);
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  child.once('error', () => (exited = -1));
  child.unref();
  const pid = child.pid ?? 0;
  await writeFileAtomic(paths.registryPidFile, `${pid}\n`);
  const deadline = Date.now() + REGISTRY_START_TIMEOUT_MS;
  for (;;) {
    const ready = await readFile(paths.registryReadyFile, 'utf8').catch(() => undefined);
    if (ready !== undefined) {
      const { url, host, port } = JSON.parse(ready) as { url: string; host: string; port: number };
      return { url, host, port, pid, images: spec.images, log: relative(paths.target, paths.registryLog) };
    }
    if (exited !== undefined || Date.now() > deadline) {
      if (exited === undefined) process.kill(pid, 'SIGKILL');
      const tail = (await readFile(paths.registryLog, 'utf8').catch(() => ''))
        .trim()
        .split('\n')
        .slice(-3)
        .join(' | ');
      throw new KimgError(
        'IO_ERROR',
        `the embedded registry did not start on ${spec.host}:${spec.port}: ${tail || `exit ${exited ?? 'timeout'}`}`,
        `see ${paths.registryLog}; another program may hold the port: --env registryPort=N picks another`,
      );
    }
    await sleep(50);
  }
}

/** Whether `pid` is a live kimg registry service (a pid reused by another program is not ours to signal). */
export async function registryServiceAlive(pid: number): Promise<boolean> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  return cmdline !== undefined && cmdline.includes('registry-service-main');
}

/** Stops the service: SIGTERM, then SIGKILL after REGISTRY_STOP_TIMEOUT_MS. True when it was running. */
export async function stopRegistryService(pid: number): Promise<boolean> {
  if (!(await registryServiceAlive(pid))) return false;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + REGISTRY_STOP_TIMEOUT_MS;
  while (await registryServiceAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      break;
    }
    await sleep(50);
  }
  return true;
}
