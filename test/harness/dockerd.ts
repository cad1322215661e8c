import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import Docker from 'dockerode';
import { makeTempDir } from './temp';

export interface RunningDockerd {
  /** For DOCKER_HOST, e.g. unix:///tmp/kimg-dockerd-x/docker.sock */
  host: string;
  socketPath: string;
  docker: Docker;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;

/**
 * Starts a private dockerd the way DESIGN.md says (no iptables, no bridge, vfs), on its own socket and data root
 * so tests never touch a system daemon and several can run side by side. Needs root, as CI is.
 */
export async function startDockerd(): Promise<RunningDockerd> {
  const dir = await makeTempDir('kimg-dockerd-');
  const socketPath = join(dir, 'docker.sock');
  const logPath = join(dir, 'dockerd.log');
  const { openSync } = await import('node:fs');
  const log = openSync(logPath, 'a');
  const child = spawn(
    'dockerd',
    [
      '--iptables=false',
      '--ip6tables=false',
      '--bridge=none',
      '--storage-driver=vfs',
      `--host=unix://${socketPath}`,
      `--data-root=${join(dir, 'data')}`,
      `--exec-root=${join(dir, 'exec')}`,
      `--pidfile=${join(dir, 'dockerd.pid')}`,
    ],
    { stdio: ['ignore', log, log], detached: false },
  );
  let exited = false;
  child.on('exit', () => (exited = true));
  const docker = new Docker({ socketPath });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (exited) throw new Error(`dockerd exited during start-up:\n${await readFile(logPath, 'utf8')}`);
    try {
      await docker.ping();
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(
          `dockerd not ready after ${READY_TIMEOUT_MS} ms:\n${await readFile(logPath, 'utf8')}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  return {
    host: `unix://${socketPath}`,
    socketPath,
    docker,
    async stop() {
      if (!exited) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await gone;
        clearTimeout(timer);
      }
      // vfs layers can hold read-only dirs; rm -rf as root handles them.
      await rm(join(dir, 'data'), { recursive: true, force: true }).catch(() => undefined);
    },
  };
}
