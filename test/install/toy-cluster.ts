// The toy rootfs and app of examples/install, built by the tests with kimg build, and helpers to read what an
// install left behind (state.json, the hooks' marker file) and to stop what it started.
import { readFileSync } from 'node:fs';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { kimgOk, makeTempDir, REPO_ROOT } from '../harness';

export const EXAMPLES = join(REPO_ROOT, 'examples', 'install');
export const ROOTFS = 'example/rootfs:v1.29.9';

export async function buildToyRootfs(root: string, name = ROOTFS): Promise<void> {
  await kimgOk(['build', '-t', name, join(EXAMPLES, 'rootfs')], { root });
}

/** The example app with `images` (original names) in its images/shim list, embedded by kimg build. */
export async function buildToyApp(root: string, name: string, images: readonly string[]): Promise<void> {
  const context = await makeTempDir('kimg-install-app-');
  await cp(join(EXAMPLES, 'app'), context, { recursive: true });
  await writeFile(join(context, 'images', 'shim', 'images.txt'), `${images.join('\n')}\n`);
  await kimgOk(['build', '--platform', 'linux/amd64', '-t', name, context], { root });
}

export interface StateFile {
  status: string;
  failedStep?: string;
  images: { name: string; digest: string; type: string; path: string }[];
  steps: {
    name: string;
    command: string;
    exitCode: number;
    durationMs: number;
    log: string;
    logSha256: string;
  }[];
  cleanSteps: { name: string; exitCode: number }[];
  registry?: { url: string; port: number; pid: number };
}

export async function readState(target: string): Promise<StateFile> {
  return JSON.parse(await readFile(join(target, '.kimg', 'state.json'), 'utf8')) as StateFile;
}

/** The hooks' marker file: one name per line, in the order they ran. */
export async function hookOrder(target: string): Promise<string[]> {
  const text = await readFile(join(target, 'hook-order.txt'), 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line !== '');
}

/** Whether `pid` runs: a zombie (exited, not yet reaped by an init that never reaps) counts as gone. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Last resort for a failed test: kill a pid from a pid file if it is still there. */
export async function killFromPidFile(file: string): Promise<void> {
  const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  if (pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL');
}
