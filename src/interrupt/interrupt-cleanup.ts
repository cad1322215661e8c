import { rmSync } from 'node:fs';

/**
 * What to undo when the process is interrupted. SIGINT and SIGTERM end a node process at once, without running
 * `finally` blocks, so a temp archive, a half-inflated gzip or a build's scratch dir would stay behind. Writers
 * register a synchronous cleanup while their temp exists and unregister it when they rename or remove it; the
 * CLI installs the handlers (a process-wide switch, so library code never does: a library user calls
 * `installInterruptHandlers` at their own entry point if they want the same behaviour).
 *
 * Only synchronous work can run in time: the handler removes files with rmSync and exits. What SIGKILL leaves
 * (no handler runs) lives in paths the store knows (`store/scratch.ts`), which `kimg prune` removes.
 */
export type Cleanup = () => void;

const cleanups = new Set<Cleanup>();

/** Registers `cleanup` to run if the process is interrupted; returns the function that unregisters it. */
export function onInterrupt(cleanup: Cleanup): () => void {
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}

/** `onInterrupt` for the common case: remove a file or a directory tree. */
export function removeOnInterrupt(path: string): () => void {
  return onInterrupt(() => rmSync(path, { recursive: true, force: true }));
}

/** How many cleanups are registered (tests assert that finished work unregisters). */
export function pendingCleanups(): number {
  return cleanups.size;
}

/** Runs every registered cleanup once; a failing one does not stop the others. */
export function runCleanups(): void {
  for (const cleanup of [...cleanups]) {
    cleanups.delete(cleanup);
    try {
      cleanup();
    } catch {
      // Best effort: the next `kimg prune` removes what is left in the store's scratch space.
    }
  }
}

/** Exit statuses of a process ended by a signal, as shells report them (128 + signal number). */
export const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

type HandledSignal = keyof typeof SIGNAL_EXIT_CODES;

let installed = false;

/**
 * SIGINT, SIGTERM and SIGHUP: run the cleanups, print one line naming the signal, exit with 128 + its number.
 * Idempotent.
 */
export function installInterruptHandlers(
  write: (line: string) => void = (line) => process.stderr.write(line),
): void {
  if (installed) return;
  installed = true;
  for (const signal of Object.keys(SIGNAL_EXIT_CODES) as HandledSignal[]) {
    process.on(signal, () => {
      runCleanups();
      write(`kimg: interrupted by ${signal}; temporary files removed\n`);
      process.exit(SIGNAL_EXIT_CODES[signal]);
    });
  }
}
