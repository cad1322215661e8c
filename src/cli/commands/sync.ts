import type { CommandModule } from 'yargs';
import { KimgError } from '../../errors';
import {
  compileTagPattern,
  createSyncClient,
  parseShard,
  parseSyncDestination,
  readSyncFile,
  RequestCount,
  sourceFromArgument,
  syncImages,
  type SyncReport,
  type SyncSource,
  type TagPattern,
} from '../../sync';
import { addCopyFlags, platformChoice, type CopyFlags } from '../copy-flags';
import { createContext, registryClientOptions } from '../context';
import type { GlobalOptions } from '../global-options';
import { formatBytes, formatTable } from '../output';
import { parseFlag } from '../usage-error';

interface SyncArgs extends GlobalOptions, CopyFlags {
  source?: string;
  destination?: string;
  file?: string;
  tags?: string;
  'all-tags'?: boolean;
  exclude?: string | string[];
  'dest-prefix'?: string;
  scoped?: boolean;
  'dry-run'?: boolean;
  shard?: string;
  'keep-going'?: boolean;
  parallel?: number;
}

export const syncCommand: CommandModule<GlobalOptions, SyncArgs> = {
  builder: (argv) =>
    addCopyFlags(
      argv
        .positional('source', { type: 'string', describe: 'image, repository or registry (none with -f)' })
        .positional('destination', {
          type: 'string',
          describe: 'registry[/path], oci:DIR or registry-dir:DIR',
        })
        .option('file', {
          alias: 'f',
          type: 'string',
          describe: "a sync file (skopeo sync's YAML, docs/sync.md)",
        })
        .option('tags', { type: 'string', describe: 'only the tags matching this regular expression' })
        .option('all-tags', {
          type: 'boolean',
          describe:
            'every tag of the repository, also when SOURCE names one image (repo:tag or @digest); ' +
            'a repository or registry SOURCE gets every tag already',
        })
        .option('exclude', {
          type: 'string',
          describe: 'leave out repository:tag matching this regex (repeatable)',
        })
        .option('dest-prefix', {
          type: 'string',
          describe: 'put every name under this path at the destination',
        })
        .option('scoped', {
          type: 'boolean',
          describe: "keep the source's host and path in names (skopeo --scoped)",
        })
        .option('dry-run', {
          type: 'boolean',
          describe: 'show what would be copied and skipped; copy nothing',
        })
        .option('shard', {
          type: 'string',
          describe: 'take part I of N of the images: I/N, or auto/N from JOB_COMPLETION_INDEX',
        })
        .option('keep-going', {
          type: 'boolean',
          describe: 'copy the other images after one fails (exit 1 at the end)',
        })
        .option('parallel', { type: 'number', describe: 'images at once (default 4)' }),
    ),
  handler: async (argv) => {
    const { sources, destinationText } = await readSources(argv);
    const destination = parseFlag(() => parseSyncDestination(destinationText));
    const shard = argv.shard === undefined ? undefined : parseFlag(() => parseShard(argv.shard as string));
    const context = createContext(argv);
    const { output } = context;
    const requests = new RequestCount();
    const debug = registryClientOptions(context.debug).onEvent;
    let client: ReturnType<typeof createSyncClient> | undefined;
    try {
      const report = await syncImages(sources, {
        destination,
        open: {
          ...context.open,
          registryClient: async () =>
            (client ??= createSyncClient(context.registryFlags, sources, (event) => {
              requests.onEvent(event);
              debug?.(event);
            })),
        },
        naming: {
          ...(argv.scoped === true && { scoped: true }),
          ...(argv['dest-prefix'] !== undefined && { prefix: argv['dest-prefix'] }),
        },
        ...(shard && { shard }),
        platforms: platformChoice(argv, 'all'),
        ...(argv.referrers === true && { referrers: true }),
        ...(argv['digest-tags'] === true && { digestTags: true }),
        dryRun: argv['dry-run'] === true,
        keepGoing: argv['keep-going'] === true,
        ...(argv.parallel !== undefined && { parallel: argv.parallel }),
        ...(argv.concurrency !== undefined && { concurrency: argv.concurrency }),
        requests,
        onEntry: (status, entry) => output.note(`kimg: ${status} ${entry.source}`),
      });
      output.result(report, () => humanReport(report));
      if (report.failed.length > 0) {
        throw new KimgError(
          'SYNC_INCOMPLETE',
          `${report.failed.length} of ${report.planned} images failed, first ${report.failed[0]?.source}: ${report.failed[0]?.reason}`,
          report.failed.length < report.planned && argv['keep-going'] !== true
            ? 'fix the cause and run again (images already copied are skipped); --keep-going copies the rest first'
            : 'fix the cause and run again: images already copied are skipped',
        );
      }
    } finally {
      await client?.close();
      await context.close();
    }
  },
};

async function readSources(argv: SyncArgs): Promise<{ sources: SyncSource[]; destinationText: string }> {
  const exclude = [argv.exclude ?? []].flat().map((text) => pattern(text, '--exclude'));
  if (argv.file !== undefined) {
    if (argv.destination !== undefined || argv.source === undefined) {
      throw new KimgError(
        'USAGE',
        'with -f FILE give only the destination',
        'kimg sync -f sync.yaml DESTINATION',
      );
    }
    if (argv.tags !== undefined)
      throw new KimgError('USAGE', '--tags is for SOURCE, not -f', 'put images-by-tag-regex in the file');
    if (argv['all-tags'] === true) {
      throw new KimgError(
        'USAGE',
        '--all-tags is for SOURCE, not -f: the file says which tags',
        'drop --all-tags and list the repository with [] (every tag) under images in the file',
      );
    }
    const sources = await readSyncFile(argv.file);
    for (const source of sources) source.exclude.push(...exclude);
    return { sources, destinationText: argv.source };
  }
  if (argv.source === undefined || argv.destination === undefined) {
    throw new KimgError(
      'USAGE',
      'sync needs SOURCE and DESTINATION (or -f FILE DESTINATION)',
      'kimg sync quay.io/org/app registry.local/mirror',
    );
  }
  const tags = argv.tags === undefined ? undefined : pattern(argv.tags, '--tags');
  const source = parseFlag(() =>
    sourceFromArgument(argv.source as string, {
      ...(tags && { tags }),
      ...(argv['all-tags'] === true && { allTags: true }),
      exclude,
    }),
  );
  return { sources: [source], destinationText: argv.destination };
}

function pattern(text: string, flag: string): TagPattern {
  try {
    return compileTagPattern(text);
  } catch (err) {
    throw new KimgError(
      'USAGE',
      `${flag} ${JSON.stringify(text)}: ${(err as Error).message}`,
      'give a regular expression such as ^v1\\.',
    );
  }
}

function humanReport(report: SyncReport): string {
  const rows = [
    ...report.copied.map((entry) => [
      report.dryRun ? 'would copy' : 'copied',
      entry.source,
      entry.destination,
      formatBytes(entry.bytes),
    ]),
    ...report.skipped.map((entry) => ['skipped', entry.source, entry.destination, '']),
    ...report.failed.map((entry) => ['failed', entry.source, entry.destination, entry.reason]),
  ];
  const summary =
    `${report.copied.length} ${report.dryRun ? 'to copy' : 'copied'}, ${report.skipped.length} skipped, ` +
    `${report.failed.length} failed; ${formatBytes(report.bytes)}, ${report.requests} requests${report.retries > 0 ? ` (${report.retries} retried)` : ''}, ${report.seconds.toFixed(1)} s`;
  return `${formatTable(['STATUS', 'SOURCE', 'DESTINATION', 'SIZE/REASON'], rows)}\n${summary}`;
}
