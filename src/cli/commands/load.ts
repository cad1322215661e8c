import type { CommandModule } from 'yargs';
import { loadArchive } from '../../copy/load';
import { archiveReadOptions, openStore } from '../../transport/open';
import { createContext } from '../context';
import type { GlobalOptions } from '../global-options';

interface LoadArgs extends GlobalOptions {
  input: string;
}

export const loadCommand: CommandModule<GlobalOptions, LoadArgs> = {
  builder: (argv) =>
    argv.option('input', {
      alias: 'i',
      type: 'string',
      demandOption: true,
      describe:
        'archive file (format and compression are detected), or a split bundle: FILE.part000 or any of its parts',
    }),
  handler: async (argv) => {
    const context = createContext(argv);
    const { output } = context;
    const store = openStore(context.storeRoot);
    const started = Date.now();
    try {
      const result = await loadArchive(argv.input, store, { archive: archiveReadOptions(context.open) });
      for (const name of result.skippedNames)
        output.note(`kimg: warning: "${name}" is not a valid image name; loaded untagged`);
      const images = result.images.map((image) => ({ digest: image.descriptor.digest, names: image.names }));
      const { added, bundle } = result;
      output.result(
        {
          format: result.format,
          compression: bundle.compression,
          files: bundle.files,
          images,
          added,
          ...result.stats,
          seconds: (Date.now() - started) / 1000,
        },
        () =>
          [
            ...images.map((image) =>
              image.names.length > 0
                ? image.names.map((name) => `Loaded image: ${name}`).join('\n')
                : `Loaded image: ${image.digest}`,
            ),
            added.images === 0 && added.blobs === 0
              ? `Nothing added: the store already had all ${images.length} image(s)`
              : `Added ${added.images} image(s), ${added.blobs} blob(s), ${added.bytes} bytes`,
          ].join('\n'),
      );
    } finally {
      await store.close();
    }
  },
};
