import { GraphCopier } from '../../copy/copy-graph';
import { isKimgError } from '../../errors';
import type { Descriptor, Platform } from '../../manifest/descriptor';
import { parseImageLocation, type ImageLocation } from '../../reference';
import { locationRef, openSource, type OpenContext } from '../../transport/open';
import type { ReadOnlyTarget, Target } from '../../transport/types';
import { openBaseView, stageFromView } from '../image/base-image';
import type { StageImage } from '../image/stage-image';

export interface BaseImage {
  /** The platform's image manifest: what the cache keys on. */
  descriptor: Descriptor;
  stage: StageImage;
}

/**
 * `FROM ref` / `COPY --from=ref`: the image for `platform`, copied by the copy engine into the build's store
 * transaction (so RUN and COPY --from read it from the store, and it lands with the build's commit — or not at
 * all when the build fails). A bare name is the local store's image if it has one, else the registry's, as
 * `docker build` looks in its image store before pulling.
 */
export async function pullBase(
  ref: string,
  platform: Platform,
  store: Target,
  open: OpenContext,
  signal?: AbortSignal,
): Promise<BaseImage> {
  const io = signal ? { signal } : {};
  let location: ImageLocation = parseImageLocation(ref);
  if (location.transport === 'store' && 'reference' in location) {
    const found = await store.resolve(locationRef(location), io).catch((err: unknown) => {
      if (isKimgError(err, 'IMAGE_NOT_FOUND')) return undefined;
      throw err;
    });
    if (found) return fromTarget(store, found, platform, ref, io);
    location = { transport: 'docker', reference: location.reference };
  }
  const source = await openSource(location, open);
  try {
    const root = await source.resolve(locationRef(location), io);
    const base = await fromTarget(source, root, platform, ref, io);
    await new GraphCopier(source, store, io).copy(base.descriptor);
    return base;
  } finally {
    await source.close();
  }
}

async function fromTarget(
  target: ReadOnlyTarget,
  root: Descriptor,
  platform: Platform,
  name: string,
  io: { signal?: AbortSignal },
): Promise<BaseImage> {
  const view = await openBaseView(target, root, platform, name, io);
  return { descriptor: view.descriptor, stage: stageFromView(view) };
}
