import type { CommandModule } from 'yargs';
import { KimgError } from '../../errors';
import { formatReference, parseImageLocation, type ImageLocation } from '../../reference';
import { locationRef } from '../../transport/open';
import { addCopyFlags, type CopyFlags } from '../copy-flags';
import type { GlobalOptions } from '../global-options';
import { runCopy } from './copy';

interface PushArgs extends GlobalOptions, CopyFlags {
  image: string;
  destination?: string;
}

export const pushCommand: CommandModule<GlobalOptions, PushArgs> = {
  builder: (argv) =>
    addCopyFlags(
      argv
        .positional('image', {
          type: 'string',
          demandOption: true,
          describe: 'name, digest or ID in the store',
        })
        .positional('destination', { type: 'string', describe: 'TRANSPORT:REF (default docker://IMAGE)' }),
    ),
  handler: async (argv) => {
    const from = parseImageLocation(argv.image);
    if (from.transport !== 'store') {
      throw new KimgError(
        'USAGE',
        `push takes an image of the local store, not ${argv.image}`,
        `use kimg copy ${argv.image} DESTINATION`,
      );
    }
    let to: ImageLocation;
    if (argv.destination !== undefined) to = parseImageLocation(argv.destination);
    else if ('reference' in from) to = { transport: 'docker' as const, reference: from.reference };
    else
      throw new KimgError(
        'USAGE',
        `${argv.image} has no name to push to`,
        'give a destination: kimg push IMAGE docker://REGISTRY/NAME:TAG',
      );
    // A bare store name as destination means the registry, as `podman push IMAGE DEST` does.
    if (to.transport === 'store' && 'reference' in to) to = { transport: 'docker', reference: to.reference };
    const name = to.transport === 'docker' ? formatReference(to.reference) : locationRef(to);
    await runCopy(argv, from, to, name === undefined ? [] : [name], 'all');
  },
};
