import { randomBytes } from 'node:crypto';
import { overlaySource, transfer } from '../../copy';
import { DockerDaemonDestination, type DaemonOptions } from '../../transport/docker-daemon';
import type { IoOptions, ReadOnlyTarget } from '../../transport/types';
import { assembleImage } from '../image/assemble';
import type { StageImage } from '../image/stage-image';

/** Repository of the temporary images RUN loads into the daemon; `docker images kimg-build-tmp/*` finds leftovers. */
export const TEMP_REPOSITORY = 'kimg-build-tmp';

/** A fresh temporary tag: random, so parallel builds against one daemon never share one. */
export function temporaryTag(): string {
  return `${TEMP_REPOSITORY}/${randomBytes(8).toString('hex')}:run`;
}

/**
 * Makes the stage an image in the daemon under `tag`. Its config and manifest are assembled in memory and
 * served beside the store's blobs (overlaySource), so nothing is written to the store; the copy engine then
 * sends the graph to the daemon as one `docker load` (DockerDaemonDestination), which checks every layer against
 * the config's diff_ids. A layer the daemon already has is still sent: `POST /images/load` takes whole images.
 */
export async function loadStage(
  stage: StageImage,
  store: ReadOnlyTarget,
  tag: string,
  created: string,
  daemon: DaemonOptions,
  options: IoOptions = {},
): Promise<void> {
  const image = assembleImage(stage, created);
  const made = new Map([
    [image.config.descriptor.digest, image.config.bytes],
    [image.manifest.descriptor.digest, image.manifest.bytes],
  ]);
  const destination = await DockerDaemonDestination.create(daemon);
  try {
    await transfer(
      overlaySource(store, made),
      destination,
      [{ descriptor: image.manifest.descriptor, names: [tag] }],
      options.signal ? { signal: options.signal } : {},
    );
  } finally {
    await destination.close();
  }
}
