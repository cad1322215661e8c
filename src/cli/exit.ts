import { isKimgError } from '../errors';

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
    // A system error (ENOSPC, EACCES, EROFS…): the message already names the path.
    process.stderr.write(`kimg: error: ${error.message}\n`);
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
