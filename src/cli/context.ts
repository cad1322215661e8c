import { createOutput, type Output } from './output';
import type { GlobalOptions } from './global-options';

/** What every command gets: where the store is and how to print. Built once from the global flags. */
export interface CommandContext {
  storeRoot: string | undefined;
  output: Output;
  debug: boolean;
}

export function createContext(argv: GlobalOptions): CommandContext {
  return {
    storeRoot: argv.root,
    output: createOutput(argv.format, argv.quiet),
    debug: argv.debug === true,
  };
}
