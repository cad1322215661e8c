import type { CommandModule } from 'yargs';
import { copyImage } from '../../copy/copy-image';
import type { TransferResult } from '../../copy/transfer';
import { formatImageLocation, parseImageLocation, type ImageLocation } from '../../reference';
import { locationRef } from '../../transport/open';
import { addCopyFlags, platformChoice, splitFormat, type CopyFlags } from '../copy-flags';
import { createContext } from '../context';
import type { GlobalOptions } from '../global-options';
import { ProgressReporter } from '../progress';
import { warmUpWhileWaiting } from '../warm-up';

interface CopyArgs extends GlobalOptions, CopyFlags {
  source: string;
  destination: string;
}

export const copyCommand: CommandModule<GlobalOptions, CopyArgs> = {
  builder: (argv) =>
    addCopyFlags(
      argv
        .positional('source', {
          type: 'string',
          demandOption: true,
          describe: 'TRANSPORT:REF or a store name',
        })
        .positional('destination', {
          type: 'string',
          demandOption: true,
          describe: 'TRANSPORT:REF or a store name',
        }),
    ),
  handler: async (argv) => {
    const to = parseImageLocation(argv.destination);
    const name = locationRef(to);
    await runCopy(argv, parseImageLocation(argv.source), to, name === undefined ? [] : [name], 'all');
  },
};

/** The one path of copy, pull and push: `copyImage` with the flags, named `names`, reported. */
export async function runCopy(
  argv: GlobalOptions & CopyFlags,
  from: ImageLocation,
  to: ImageLocation,
  names: string[],
  defaultPlatforms: 'host' | 'all',
): Promise<TransferResult> {
  const formats = splitFormat(argv.format);
  const context = createContext({ ...argv, format: formats.output });
  const { output } = context;
  const progress = new ProgressReporter(process.stderr, !output.json && !output.quiet);
  const started = Date.now();
  const cancelWarmUp = warmUpWhileWaiting();
  try {
    const result = await copyImage(from, to, {
      open: context.open,
      names,
      platforms: platformChoice(argv, defaultPlatforms),
      ...(formats.manifest && { format: formats.manifest }),
      ...(argv.concurrency !== undefined && { concurrency: argv.concurrency }),
      ...(argv.referrers === true && { referrers: true }),
      ...(argv['digest-tags'] === true && { digestTags: true }),
      onEvent: progress.onEvent,
      byteProgress: progress.drawsBytes,
    });
    progress.finish();
    const image = result.images[0];
    for (const note of image?.notes ?? []) output.note(`kimg: ${note}`);
    // What the registries cost: a 429 or 503 waited out is a retry here, not an error (issue 12).
    const http = await context.registryStats();
    const retried = http && http.retries > 0 ? `, ${http.retries} requests retried` : '';
    output.result(
      {
        source: formatImageLocation(from),
        destination: formatImageLocation(to),
        digest: image?.descriptor.digest,
        sourceDigest: image?.source.digest,
        ...result.stats,
        ...(http && {
          requests: http.requests,
          retries: http.retries,
          rateLimitPauses: http.rateLimitPauses,
        }),
        seconds: (Date.now() - started) / 1000,
      },
      () =>
        output.quiet
          ? (image?.descriptor.digest ?? '')
          : `Copied ${image?.descriptor.digest} (${result.stats.blobsCopied} blobs copied, ${result.stats.blobsSkipped} skipped${result.stats.blobsMounted > 0 ? `, ${result.stats.blobsMounted} mounted` : ''}${retried})`,
    );
    return result;
  } finally {
    cancelWarmUp();
    progress.finish();
    await context.close();
  }
}
