import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { run, type RunOptions, type RunResult } from './run';

export const REPO_ROOT = resolve(__dirname, '..', '..');
const BIN = join(REPO_ROOT, 'bin', 'kimg');

/**
 * Runs the built CLI (bin/kimg → dist/) as users do, against the store at `root`. `npm test` builds first;
 * running jest alone after changing src/ needs `npm run build`.
 */
export async function kimg(
  args: readonly string[],
  options: RunOptions & { root?: string } = {},
): Promise<RunResult> {
  if (!existsSync(join(REPO_ROOT, 'dist', 'cli', 'main.js'))) {
    throw new Error('dist/ is missing: run `npm run build` (npm test does it) before the CLI tests');
  }
  const { root, env, ...rest } = options;
  // Executed as users do: the shell lines of bin/kimg start node from the start-up snapshot (npm run build
  // makes it); tests that run `node bin/kimg` take the ordinary start.
  return run(BIN, args, {
    ...rest,
    env: { ...process.env, ...env, ...(root !== undefined && { KIMG_ROOT: root }) },
  });
}

/** Like kimg, but throws with the output when the command fails. */
export async function kimgOk(
  args: readonly string[],
  options: RunOptions & { root?: string } = {},
): Promise<RunResult> {
  const result = await kimg(args, options);
  if (result.code !== 0) throw new Error(`kimg ${args.join(' ')} exited ${result.code}\n${result.stderr}`);
  return result;
}
