import { isKimgError } from '../errors';
import { stderrLine, terminalLines } from './terminal-text';

const SYSTEM_ERROR_HINTS: Record<string, string> = {
  ENOSPC:
    'the destination file system is full; free space there and run the command again (nothing was kept)',
  EROFS: 'the destination is on a read-only file system; choose a writable place',
  EACCES: 'permission denied; check the owner and mode of the path, or run as a user who may write there',
  EPERM: 'operation not permitted; check the owner and mode of the path',
  ENOENT: 'check the path',
  EDQUOT: 'your disk quota is exhausted; free space and run the command again',
};

/**
 * Exit statuses scripts can rely on. Usage (2) is only for a wrong command line (code USAGE, thrown by cli/);
 * an input refused further in — a build context, an archive, a registry's answer — is a Failure (1).
 */
export const ExitCode = { Ok: 0, Failure: 1, Usage: 2, Bug: 70 } as const;

/**
 * The single exit point (changesets-style): every error becomes one line on stderr naming what failed, a hint
 * line when we know the way out, the stack only with --debug. Never prints credentials: messages are built from
 * redacted values by the code that throws, and every line goes through the URL redactor again
 * (terminal-text.ts). Names from inputs cannot drive the terminal or forge a line: control characters are
 * escaped.
 */
export function reportError(err: unknown, debug: boolean): number {
  if (isKimgError(err)) {
    writeLine(`kimg: error: ${err.message}`);
    if (err.hint) writeLine(`kimg: hint: ${err.hint}`);
    if (debug) writeStack(err);
    return err.code === 'USAGE' ? ExitCode.Usage : ExitCode.Failure;
  }
  const error = err instanceof Error ? err : new Error(String(err));
  const systemCode = (error as NodeJS.ErrnoException).code;
  if (systemCode && /^E[A-Z]+$/.test(systemCode)) {
    // A system error (ENOSPC, EACCES, EROFS…): the message names the path when node knows it.
    writeLine(`kimg: error: ${error.message}`);
    const hint = SYSTEM_ERROR_HINTS[systemCode];
    if (hint) writeLine(`kimg: hint: ${hint}`);
    if (debug) writeStack(error);
    return ExitCode.Failure;
  }
  writeLine(`kimg: internal error: ${error.message}`);
  if (debug && error.stack) writeStack(error);
  else writeLine('kimg: hint: this is a bug in kimg; run again with --debug and report the output');
  return ExitCode.Bug;
}

function writeLine(line: string): void {
  process.stderr.write(`${stderrLine(line)}\n`);
}

/** --debug: the stack, its first line (the message, which may quote names) escaped like any line. */
function writeStack(error: Error): void {
  if (!error.stack) return;
  const stack = error.message
    ? error.stack.replace(error.message, () => stderrLine(error.message))
    : error.stack;
  process.stderr.write(`${terminalLines(stack)}\n`);
}
