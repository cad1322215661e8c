import type { Descriptor, Platform } from '../manifest/descriptor';
import { formatPlatform } from '../manifest/platform';
import type { OpenContext } from '../transport/open';
import { publish, pushDestinations, storeImage, storeIndex, withLabels } from './execute/build-output';
import type { PlatformReport } from './execute/report';
import type { StageImage } from './image/stage-image';
import { pinAppSources } from './app-sources/pin-step';
import type { BuildSession } from './session';
import type { BuildSettings } from './settings';

/**
 * The last phase of a build. Per platform, finalize steps turn the target stage's image into the image that is
 * stored (the `--label`/`--type` labels, then — unless `--save-images=false` — embed-step.ts, which embeds the
 * apps' container images into `registry/`); then the images (and an index for several platforms) are stored, tagged and committed in
 * one transaction, the step cache is written, and the outputs (`--push`, `--output`) are published.
 */
export interface FinalizeStep {
  /** For reports and errors. */
  name: string;
  apply(image: StageImage, context: FinalizeContext): Promise<StageImage>;
}

export interface FinalizeContext {
  platform: Platform;
  session: BuildSession;
  settings: BuildSettings;
  signal?: AbortSignal;
}

/** `--label` and `--type`: on the final image only, after every instruction (buildah's `--label`). */
export const finalLabels: FinalizeStep = {
  name: 'labels',
  apply: async (image, { settings }) => withLabels(image, settings.finalLabels),
};

/** The labels, then the pins of remote APP sources (app-sources/pin-step.ts); embedding comes after. */
export const DEFAULT_FINALIZE_STEPS: readonly FinalizeStep[] = [finalLabels, pinAppSources];

export interface StoredPlatform {
  platform: Platform;
  manifest: Descriptor;
  config: Descriptor;
}

/** The finalize steps in order, then the platform's config and manifest staged in the build's transaction. */
export async function finalizePlatform(
  image: StageImage,
  steps: readonly FinalizeStep[],
  context: FinalizeContext,
): Promise<StoredPlatform> {
  let current = image;
  for (const step of steps) current = await step.apply(current, context);
  const stored = await storeImage(context.session.store, current, context.settings.created.toISOString());
  return { platform: context.platform, ...stored };
}

export interface CommitOptions {
  tags: readonly string[];
  push: boolean;
  outputs: readonly string[];
  open: OpenContext;
  signal?: AbortSignal;
}

/** One root (an index for several platforms), tagged, committed; then the cache and the outputs. */
export async function commitBuild(
  session: BuildSession,
  built: readonly StoredPlatform[],
  options: CommitOptions,
): Promise<{ root: Descriptor; outputs: string[] }> {
  const { store } = session;
  const root = built.length === 1 && built[0] ? built[0].manifest : await storeIndex(store, built);
  if (options.tags.length === 0) await store.tag(root, undefined);
  for (const tag of options.tags) await store.tag(root, tag);
  await store.commit(options.signal ? { signal: options.signal } : {});
  await session.cache.flush(() => session.output.scratch('cache'));
  const destinations = [...(options.push ? pushDestinations(options.tags) : []), ...options.outputs];
  return { root, outputs: await publish(store, root, destinations, options.open, options.signal) };
}

export function platformReport(built: StoredPlatform): PlatformReport {
  return {
    platform: formatPlatform(built.platform),
    manifest: built.manifest.digest,
    config: built.config.digest,
  };
}
