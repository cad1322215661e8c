import type { CommandModule } from 'yargs';
import type { DeleteResult } from '../../store';
import { openStore } from '../../transport/open';
import { createContext } from '../context';
import type { GlobalOptions } from '../global-options';

interface RmiArgs extends GlobalOptions {
  images: string[];
}

export const rmiCommand: CommandModule<GlobalOptions, RmiArgs> = {
  builder: (argv) =>
    argv.positional('images', {
      type: 'string',
      array: true,
      demandOption: true,
      describe: 'names, digests or IDs',
    }),
  handler: async (argv) => {
    const { output, storeRoot } = createContext(argv);
    const store = openStore(storeRoot);
    try {
      const results: DeleteResult[] = [];
      for (const image of argv.images) results.push(await store.deleteImage(image));
      output.result(results, () =>
        results
          .flatMap((r) => [
            ...r.untagged.map((name) => `Untagged: ${name}`),
            ...(r.deleted ? [`Deleted: ${r.deleted}`] : []),
          ])
          .join('\n'),
      );
    } finally {
      await store.close();
    }
  },
};
