import { isKimgError } from '../errors';

const SYSTEM_ERROR_HINTS: Record<string, string> = {
  ENOSPC:
    'the destination file system is full; free space there and run the command again (nothing was kept)',
  EROFS: 'the destination is on a read-only file system; choose a writable place',
  EACCES: 'permission denied; check the owner and mode of the path, or run as a user who may write there',
  EPERM: 'operation not permitted; check the owner and mode of the path',
  ENOENT: 'check the path',
  EDQUOT: 'your disk quota is exhausted; free space and run the command again',
};

/** Exit statuses scripts can rely on. */
export const ExitCode = { Ok: 0, Failure: 1, Usage: 2, Bug: 70 } as const;

/**
 * The single exit point (changesets-style): every error becomes one line on stderr naming what failed, a hint
 * line when we know the way out, the stack only with --debug. Never prints credentials: messages are built from
 * redacted values by the code that throws.
 */
export function reportError(err: unknown, debug: boolean): number {
  if (isKimgError(err)) {
    process.stderr.write(`kimg: error: ${err.message}\n`);
    if (err.hint) process.stderr.write(`kimg: hint: ${err.hint}\n`);
    if (debug && err.stack) process.stderr.write(`${err.stack}\n`);
    return err.code === 'INVALID_ARGUMENT' ? ExitCode.Usage : ExitCode.Failure;
  }
  const error = err instanceof Error ? err : new Error(String(err));
  const systemCode = (error as NodeJS.ErrnoException).code;
  if (systemCode && /^E[A-Z]+$/.test(systemCode)) {
    // A system error (ENOSPC, EACCES, EROFS…): the message names the path when node knows it.
    process.stderr.write(`kimg: error: ${error.message}\n`);
    const hint = SYSTEM_ERROR_HINTS[systemCode];
    if (hint) process.stderr.write(`kimg: hint: ${hint}\n`);
    if (debug && error.stack) process.stderr.write(`${error.stack}\n`);
    return ExitCode.Failure;
  }
  process.stderr.write(`kimg: internal error: ${error.message}\n`);
  process.stderr.write(
    debug && error.stack
      ? `${error.stack}\n`
      : 'kimg: hint: this is a bug in kimg; run again with --debug and report the output\n',
  );
  return ExitCode.Bug;
}
