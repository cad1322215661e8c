import type { CommandModule } from 'yargs';
import { saveArchive, type SaveRequest } from '../../copy/save';
import { KimgError } from '../../errors';
import {
  ARCHIVE_FORMATS,
  chooseCompression,
  parseCompression,
  parseSplitSize,
  type ArchiveFormat,
} from '../../transport/archive';
import { archiveWriteOptions, openStore } from '../../transport/open';
import { createContext } from '../context';
import type { GlobalOptions } from '../global-options';
import { parseFlag } from '../usage-error';

interface SaveArgs extends GlobalOptions {
  output: string;
  images: string[];
  compression?: string;
  split?: string;
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
        describe: 'archive file to write (with --split: the name of the parts FILE.part000, FILE.part001…)',
      })
      .option('compression', {
        type: 'string',
        describe:
          'compress the whole archive: zstd, gzip or none (default: told by the name, .tar.zst / .tar.gz, else none)',
      })
      .option('split', {
        type: 'string',
        describe: 'cut the archive into parts of at most SIZE (4G, 700M) and a list of parts FILE.part000',
      }),
  handler: async (argv) => {
    // `--format` is global (json output); for save it names the archive format, as in the CLI contract.
    const format = archiveFormat(argv.format);
    const compression = chooseCompression(
      argv.output,
      argv.compression === undefined ? undefined : parseCompression(argv.compression),
    );
    const splitBytes =
      argv.split === undefined ? undefined : parseFlag(() => parseSplitSize(argv.split as string));
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
      const result = await saveArchive(store, requests, argv.output, format, {
        ...archiveWriteOptions(context.open),
        bundle: { compression, ...(splitBytes !== undefined && { splitBytes }) },
      });
      const { files, bytes, sha256 } = result.written;
      output.result(
        {
          file: argv.output,
          format,
          compression,
          files,
          bytes,
          sha256,
          images: result.images,
          ...result.stats,
          seconds: (Date.now() - started) / 1000,
        },
        () => {
          if (output.quiet) return '';
          const what = `${format}${compression === 'none' ? '' : `, ${compression}`}`;
          if (splitBytes === undefined)
            return `Saved ${result.images.length} image(s) to ${argv.output} (${what}, ${bytes} bytes)`;
          const last = files[files.length - 1]?.file ?? '';
          return `Saved ${result.images.length} image(s) to ${files[0]?.file ?? ''} … ${last} (${what}, ${files.length - 1} part(s), ${bytes} bytes): carry every part, load with kimg load -i ${files[0]?.file ?? ''}`;
        },
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
