import type { CommandModule } from 'yargs';
import { saveArchive, type SaveRequest } from '../../copy/save';
import { KimgError } from '../../errors';
import { ARCHIVE_FORMATS, type ArchiveFormat } from '../../transport/archive';
import { archiveWriteOptions, openStore } from '../../transport/open';
import { createContext } from '../context';
import type { GlobalOptions } from '../global-options';

interface SaveArgs extends GlobalOptions {
  output: string;
  images: string[];
}

export const saveCommand: CommandModule<GlobalOptions, SaveArgs> = {
  builder: (argv) =>
    argv
      .positional('images', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'names, digests or IDs in the store',
      })
      .option('output', {
        alias: 'o',
        type: 'string',
        demandOption: true,
        describe: 'archive file to write',
      }),
  handler: async (argv) => {
    // `--format` is global (json output); for save it names the archive format, as in the CLI contract.
    const format = archiveFormat(argv.format);
    const context = createContext({ ...argv, format: undefined });
    const { output } = context;
    const store = openStore(context.storeRoot);
    const started = Date.now();
    try {
      // Saved by name → named in the archive; saved by digest or ID → unnamed, as `docker save <id>` does.
      const requests: SaveRequest[] = await Promise.all(
        argv.images.map(async (image) => {
          const found = await store.layout.find(image);
          return { ref: found.digest, ...(found.name !== undefined && { name: found.name }) };
        }),
      );
      const result = await saveArchive(
        store,
        requests,
        argv.output,
        format,
        archiveWriteOptions(context.open),
      );
      output.result(
        {
          file: argv.output,
          format,
          images: result.images,
          ...result.stats,
          seconds: (Date.now() - started) / 1000,
        },
        () => (output.quiet ? '' : `Saved ${result.images.length} image(s) to ${argv.output} (${format})`),
      );
    } finally {
      await store.close();
    }
  },
};

function archiveFormat(value: string | undefined): ArchiveFormat {
  if (value === undefined) return 'oci-archive';
  if ((ARCHIVE_FORMATS as readonly string[]).includes(value)) return value as ArchiveFormat;
  throw new KimgError(
    'USAGE',
    `unknown archive format "${value}"`,
    `use --format ${ARCHIVE_FORMATS.join(' or --format ')}`,
  );
}
