import type { CommandModule } from 'yargs';
import { openStore } from '../../transport/open';
import { createContext } from '../context';
import type { GlobalOptions } from '../global-options';

interface TagArgs extends GlobalOptions {
  source: string;
  targets: string[];
}

export const tagCommand: CommandModule<GlobalOptions, TagArgs> = {
  builder: (argv) =>
    argv
      .positional('source', {
        type: 'string',
        demandOption: true,
        describe: 'name, digest or ID in the store',
      })
      .positional('targets', { type: 'string', array: true, demandOption: true, describe: 'new names' }),
  handler: async (argv) => {
    const { output, storeRoot } = createContext(argv);
    const store = openStore(storeRoot);
    try {
      const descriptor = await store.resolve(argv.source);
      for (const target of argv.targets) await store.tag(descriptor, target);
      await store.commit();
      output.result({ digest: descriptor.digest, names: argv.targets }, () => '');
    } catch (err) {
      await store.abort();
      throw err;
    } finally {
      await store.close();
    }
  },
};
