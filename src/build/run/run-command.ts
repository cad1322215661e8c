import { KimgError } from '../../errors';
import type { StageImage } from '../image/stage-image';

/** A RUN instruction's command: the shell form (a string for the stage's shell) or the exec form (argv). */
export interface RunCommand {
  shell?: string;
  exec?: string[];
}

/** Where a RUN instruction is in its Kubefile, for messages (`Kubefile:7:1`). */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

/** Dockerfile reference (SHELL): "The default shell on Linux is ["/bin/sh", "-c"]". */
export const DEFAULT_SHELL: readonly string[] = ['/bin/sh', '-c'];

export function formatPosition(at: SourcePosition): string {
  return `${at.file}:${at.line}:${at.column}`;
}

/** The argv the container runs: the exec form as written, the shell form appended to the stage's SHELL. */
export function commandArgv(stage: StageImage, command: RunCommand, at: SourcePosition): string[] {
  if (command.exec !== undefined && command.exec.length > 0) return [...command.exec];
  if (command.shell !== undefined && command.shell.trim() !== '') {
    const shell = stage.runConfig.Shell;
    const argv = Array.isArray(shell) && shell.length > 0 ? (shell as string[]) : DEFAULT_SHELL;
    return [...argv, command.shell];
  }
  throw new KimgError(
    'INVALID_ARGUMENT',
    `${formatPosition(at)}: RUN has no command`,
    'write RUN <command> (shell form) or RUN ["program", "arg"…] (exec form)',
  );
}

/**
 * The history `created_by` of a RUN, as BuildKit records it without its `# buildkit` suffix: the instruction
 * name and the command (shell form through its shell). Build args are left out: they may hold secrets.
 */
export function runCreatedBy(argv: string[], command: RunCommand): string {
  return command.exec !== undefined && command.exec.length > 0
    ? `RUN ${JSON.stringify(argv)}`
    : `RUN ${argv.join(' ')}`;
}

/**
 * The container's environment: the stage's Env, then build args the stage's ENV does not set (Dockerfile
 * reference, "Using ARG variables": "Environment variables defined using the ENV instruction always override
 * an ARG instruction of the same name"). Build args reach the command but never the image's config.
 */
export function runEnv(stage: StageImage, buildArgs: Record<string, string> = {}): string[] {
  const env = Array.isArray(stage.runConfig.Env) ? (stage.runConfig.Env as string[]) : [];
  const set = new Set(env.map((entry) => entry.split('=', 1)[0]));
  const args = Object.entries(buildArgs)
    .filter(([key]) => !set.has(key))
    .map(([key, value]) => `${key}=${value}`);
  return [...env, ...args];
}
