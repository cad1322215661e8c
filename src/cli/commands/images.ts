import type { CommandModule } from 'yargs';
import { listImages } from '../../image/list';
import { openStore } from '../../transport/open';
import { createContext } from '../context';
import type { GlobalOptions } from '../global-options';
import { formatBytes, formatTable } from '../output';

export const imagesCommand: CommandModule<GlobalOptions, GlobalOptions> = {
  handler: async (argv) => {
    const { output, storeRoot } = createContext(argv);
    const store = openStore(storeRoot);
    try {
      const images = await listImages(store);
      output.result(images, () =>
        output.quiet
          ? images.map((image) => image.digest).join('\n')
          : formatTable(
              ['NAME', 'DIGEST', 'CREATED', 'SIZE', 'PLATFORMS'],
              images.map((image) => [
                image.name ?? '<none>',
                image.digest.slice(0, 19),
                image.created ?? '-',
                formatBytes(image.size),
                image.platforms.join(',') || '-',
              ]),
            ),
      );
    } finally {
      await store.close();
    }
  },
};
