import { openImageView, type ImageView } from '../../image/image-view';
import type { Descriptor, Platform } from '../../manifest/descriptor';
import type { IoOptions, ReadOnlyTarget } from '../../transport/types';
import type { HistoryEntry, StageImage } from './stage-image';

const OWN_FIELDS = new Set(['created', 'architecture', 'os', 'variant', 'config', 'rootfs', 'history']);

/**
 * The StageImage a `FROM image` starts from: for an index, the child of the build platform (image/image-view.ts
 * chooses); its config split into the run config and the fields we carry unchanged.
 */
export async function stageFromImage(
  target: ReadOnlyTarget,
  root: Descriptor,
  platform: Platform,
  name: string,
  options?: IoOptions,
): Promise<StageImage> {
  return stageFromView(await openBaseView(target, root, platform, name, options));
}

/** The image view of a base image: named as build's errors name it, with build's way out. */
export function openBaseView(
  target: ReadOnlyTarget,
  root: Descriptor,
  platform: Platform,
  name: string,
  options?: IoOptions,
): Promise<ImageView> {
  return openImageView(target, root, {
    ...options,
    platform,
    name: `base image ${name}`,
    platformHint: 'build with --platform one of those',
  });
}

export function stageFromView(view: ImageView): StageImage {
  const { config, configJson, manifest } = view;
  const extra = Object.fromEntries(Object.entries(configJson).filter(([key]) => !OWN_FIELDS.has(key)));
  return {
    platform: view.platform,
    runConfig: (configJson.config as Record<string, unknown> | undefined) ?? {},
    extra,
    layers: manifest.layers.map((layer) => ({ ...layer })),
    diffIds: [...config.rootfs.diff_ids],
    history: (config.history ?? []) as HistoryEntry[],
  };
}
