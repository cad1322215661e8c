import type { CommandModule } from 'yargs';
import { openStore } from '../../transport/open';
import { createContext } from '../context';
import type { GlobalOptions } from '../global-options';
import { formatBytes } from '../output';

export const pruneCommand: CommandModule<GlobalOptions, GlobalOptions> = {
  handler: async (argv) => {
    const { output, storeRoot } = createContext(argv);
    const store = openStore(storeRoot);
    try {
      const result = await store.prune();
      output.result(
        result,
        () =>
          `Removed ${result.removedBlobs.length} blob(s), freed ${formatBytes(result.freedBytes)}` +
          (result.removedScratch > 0 ? `; removed ${result.removedScratch} leftover scratch dir(s)` : ''),
      );
    } finally {
      await store.close();
    }
  },
};
