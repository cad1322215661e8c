import type { CommandModule } from 'yargs';
import { formatReference, parseImageLocation, type ImageLocation } from '../../reference';
import { addCopyFlags, type CopyFlags } from '../copy-flags';
import type { GlobalOptions } from '../global-options';
import { runCopy } from './copy';

interface PullArgs extends GlobalOptions, CopyFlags {
  image: string;
}

export const pullCommand: CommandModule<GlobalOptions, PullArgs> = {
  builder: (argv) =>
    addCopyFlags(
      argv.positional('image', { type: 'string', demandOption: true, describe: 'NAME or TRANSPORT:REF' }),
    ),
  handler: async (argv) => {
    const from = pullSource(argv.image);
    await runCopy(argv, from, { transport: 'store', id: 'pull' }, storeNamesFor(from), 'host');
  },
};

/** `kimg pull nginx` means the registry image, like docker pull; any other transport is taken as written. */
function pullSource(input: string): ImageLocation {
  const location = parseImageLocation(input);
  return location.transport === 'store' && 'reference' in location
    ? { transport: 'docker', reference: location.reference }
    : location;
}

/** Pulled images keep their name (normalized); images from places without one are kept untagged, by digest. */
function storeNamesFor(from: ImageLocation): string[] {
  if ('reference' in from) return [formatReference(from.reference)];
  if (from.transport === 'registry-dir' && from.ref) return [formatReference(from.ref)];
  if (from.transport === 'docker-archive' && from.ref?.kind === 'name')
    return [formatReference(from.ref.reference)];
  return [];
}
