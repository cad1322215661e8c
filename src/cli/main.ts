import yargs, { type Argv } from 'yargs';
import { KimgError } from '../errors';
import { installInterruptHandlers } from '../interrupt';
import { packageVersion } from '../lazy/package-root';
import { commands, type AnyCommand } from './commands';
import { ExitCode, reportError } from './exit';
import { addGlobalOptions, type GlobalOptions } from './global-options';

/**
 * `kimg` entry point: yargs parses, one module per command does the work, and every failure leaves through
 * reportError — the one place errors become text and exit codes.
 */
export async function main(args: string[]): Promise<void> {
  const debug = args.includes('--debug');
  // SIGINT/SIGTERM: remove registered temp files and scratch dirs before exiting (interrupt/).
  installInterruptHandlers();
  const parser = kimgParser(args, commands, {
    version: packageVersion(),
    columns: Math.min(110, process.stdout.columns ?? 110),
  });
  // A command whose work stopped without settling (a stream that never ends) would let node exit with 0:
  // until the command has finished, the status says it did not.
  process.exitCode = ExitCode.Bug;
  const unfinished = () => {
    process.stderr.write(
      'kimg: internal error: the command stopped before it finished (an I/O wait never ended)\n',
    );
  };
  process.once('beforeExit', unfinished);
  try {
    await parser.parseAsync();
    process.exitCode = ExitCode.Ok;
  } catch (err) {
    process.exitCode = reportError(err, debug);
  } finally {
    process.removeListener('beforeExit', unfinished);
  }
}

/**
 * The whole command line as yargs sees it: global options, every command of `commandList`, kimg's failure rule.
 * Built the same way by `main` and by the start-up snapshot's warm-up (cli/snapshot-warm-up.ts), which parses
 * sample lines with inert handlers so that the snapshot holds yargs' compiled code.
 */
export function kimgParser(
  args: string[],
  commandList: readonly AnyCommand[],
  settings: { version: string; columns: number },
): Argv<GlobalOptions> {
  let parser = addGlobalOptions(yargs(args))
    .scriptName('kimg')
    .usage('$0 <command> [options]\n\nBuild, ship and install Kubernetes cluster images.')
    .strict()
    .demandCommand(1, 'name a command; `kimg --help` lists them')
    .recommendCommands()
    .help()
    .version(settings.version)
    .wrap(settings.columns)
    .fail((message, error) => {
      // yargs calls this for usage problems (message) and for errors thrown by handlers (error).
      throw (
        error ?? new KimgError('USAGE', message, 'run `kimg --help` or `kimg <command> --help` for usage')
      );
    });
  for (const command of commandList) parser = parser.command(command);
  skipHelpCache(parser);
  return parser;
}

/**
 * yargs renders a command's whole help text as its handler starts (`usage.cacheHelpMessage`, command.js), so that
 * a later failure can print it: ~25 ms of CPU on the event loop while the command's first I/O waits, a sixth of
 * a cached rebuild. kimg never prints yargs' help on a failure (`fail` above throws to reportError), so the text is
 * not made. `--help` renders it as before. Reached through yargs 17's internal methods; should they move, nothing
 * changes but the time.
 */
function skipHelpCache(parser: object): void {
  const internal = (parser as { getInternalMethods?: () => { getUsageInstance?: () => unknown } })
    .getInternalMethods?.()
    .getUsageInstance?.();
  if (internal && typeof (internal as { cacheHelpMessage?: unknown }).cacheHelpMessage === 'function') {
    (internal as { cacheHelpMessage: () => void }).cacheHelpMessage = () => undefined;
  }
}
