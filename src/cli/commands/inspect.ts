import type { CommandModule } from 'yargs';
import {
  ClusterLabels,
  embeddedImagesSchema,
  readLabelRecord,
  type EmbeddedImageRecord,
} from '../../cluster';
import { inspectImage, type ImageSummary } from '../../image/inspect';
import { MAX_MANIFEST_BYTES } from '../../manifest/limits';
import { locationRef, openSource } from '../../transport/open';
import { readBlob } from '../../transport/read-blob';
import { parseImageLocation } from '../../reference';
import { createContext } from '../context';
import { terminalLines } from '../terminal-text';
import type { GlobalOptions } from '../global-options';

interface InspectArgs extends GlobalOptions {
  image: string;
  raw?: boolean;
}

export const inspectCommand: CommandModule<GlobalOptions, InspectArgs> = {
  builder: (argv) =>
    argv
      .positional('image', {
        type: 'string',
        demandOption: true,
        describe: 'IMAGE, or TRANSPORT:REF (oci:DIR:REF, oci-archive:FILE…)',
      })
      .option('raw', { type: 'boolean', describe: 'print the manifest bytes exactly as stored' }),
  handler: async (argv) => {
    const context = createContext(argv);
    const { output } = context;
    const location = parseImageLocation(argv.image);
    const source = await openSource(location, context.open);
    try {
      const descriptor = await source.resolve(locationRef(location));
      if (argv.raw) {
        const bytes = await readBlob(source, descriptor, MAX_MANIFEST_BYTES);
        // Exactly as stored into a pipe; on a terminal, control characters escaped (terminal-text.ts).
        process.stdout.write(process.stdout.isTTY ? terminalLines(bytes.toString('utf8')) : bytes);
        return;
      }
      const summary = withEmbeddedImages(await inspectImage(source, descriptor));
      output.result({ name: argv.image, ...summary }, () =>
        JSON.stringify({ name: argv.image, ...summary }, null, 2),
      );
    } finally {
      await source.close();
      await context.close();
    }
  },
};

type InspectedImage = Omit<ImageSummary, 'manifests'> & {
  /** The `io.kimg.images` label, parsed: what `kimg build` embedded in `registry/` (docs/airgap.md). */
  embeddedImages?: EmbeddedImageRecord[];
  manifests?: InspectedImage[];
};

/** Adds the parsed embedded-images record beside the labels (of each child of an index), when there is one. */
function withEmbeddedImages(summary: ImageSummary): InspectedImage {
  const { manifests, ...rest } = summary;
  const record = readLabelRecord(
    summary.config?.labels,
    ClusterLabels.images,
    () => embeddedImagesSchema,
    [],
  );
  return {
    ...rest,
    ...(record.ok && record.value.length > 0 && { embeddedImages: record.value }),
    ...(manifests && { manifests: manifests.map(withEmbeddedImages) }),
  };
}
