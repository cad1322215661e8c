import type { DiscoveredImage, DiscoveryResult } from '../airgap/discovery';
import type { ImageDigest } from '../airgap/embed';
import type { AppRecord } from '../cluster';
import { hostPlatform } from '../manifest/host-platform';
import { parse, SEALOS_TYPE_LABEL, type BuildOptions } from './build';
import { BuildDiagnosticsError } from './execute/build-error';
import { planBuild, type ConfigEdit } from './plan';
import type { CopySpec } from './plan/types';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { KimgError } from '../errors';
import { Scratch } from '../store/scratch';
import { defaultStoreRoot, LayoutPaths } from '../store/paths';
import { AppSources, type PinnedSource } from './app-sources/app-sources';
import { resolveSettings } from './settings';

/** A discovered image with what its registry answered (none for archives, layouts and the daemon). */
export type DryRunImage = DiscoveredImage & ImageDigest;

export interface DryRunResult extends DiscoveryResult {
  images: DryRunImage[];
  /** Remote APP/CNI/CSI sources, fetched (into the store's scratch dir, then removed) and pinned. */
  sources: PinnedSource[];
}

/**
 * `kimg build --dry-run`: the images the build would embed, each with where it was asked for and its digest —
 * the Kubefile is parsed and planned (pure) for its APP/CNI/CSI, discovery reads the context, and each registry
 * image is resolved by one manifest HEAD (`--max-pull-procs` at once); an image that cannot be resolved shows
 * its error and the dry run goes on (`dryRunProblems` then decides the exit status). Remote APP sources are
 * fetched first (their charts hold images) into a scratch dir of the store, removed at the end; nothing else of
 * the store is touched, nothing pulled, no layer written. Apps a base image declared are not seen (the base is
 * not read): only the Kubefile's own.
 */
export async function dryRunImages(options: BuildOptions): Promise<DryRunResult> {
  const { ast, text } = await parse(options);
  const { plan, diagnostics } = planBuild(ast, {
    text,
    platform: options.platforms?.[0] ?? hostPlatform(),
    buildPlatform: hostPlatform(),
    buildArgs: options.buildArgs ?? {},
    ...(options.target !== undefined && { target: options.target }),
  });
  if (diagnostics.length > 0) throw new BuildDiagnosticsError(diagnostics);
  const apps = new Map<string, AppRecord>();
  const remote: NonNullable<CopySpec['remote']>[] = [];
  for (const index of plan.needed) {
    for (const { action } of plan.stages[index]?.steps ?? []) {
      const edit: ConfigEdit | undefined =
        action.kind === 'config' ? action.edit : action.kind === 'copy' ? action.then : undefined;
      if (edit?.op === 'app') apps.set(edit.app.name, { ...edit.app });
      if (action.kind === 'copy' && action.copy.remote) remote.push(action.copy.remote);
    }
  }
  // Remote sources are fetched (charts are needed to find their images) into a scratch dir of the store.
  const scratch =
    remote.length > 0
      ? await Scratch.open(new LayoutPaths(options.open.storeRoot ?? defaultStoreRoot()), 'dry-run')
      : undefined;
  let fetcher: AppSources | undefined;
  try {
    fetcher = new AppSources({
      open: options.open,
      scratch: async (name) => {
        const dir = scratch!.path(`${name}-${randomBytes(4).toString('hex')}`);
        await mkdir(dir);
        return dir;
      },
      ...resolveSettings(options, SEALOS_TYPE_LABEL).appSources,
      ...(options.signal && { signal: options.signal }),
    });
    for (const { app, sources } of remote) await fetcher.fetch(app, sources);
    return await discoverAndResolve(options, [...apps.values()], fetcher);
  } finally {
    await fetcher?.close();
    await scratch?.release();
  }
}

async function discoverAndResolve(
  options: BuildOptions,
  apps: AppRecord[],
  fetcher: AppSources,
): Promise<DryRunResult> {
  const embed = options.embed ?? {};
  // Loaded here, not at start-up: every `kimg build` imports this module, few run --dry-run.
  const [{ discoverImages }, { resolveDigests }] = await Promise.all([
    import('../airgap/discovery'),
    import('../airgap/embed'),
  ]);
  const found = await discoverImages(options.context, {
    fetchedSources: await fetcher.trees(),
    ...(embed.helm !== undefined && { helm: embed.helm }),
    imageLists: embed.imageLists ?? [],
    ignoreLists: embed.ignoreLists ?? [],
    apps,
    ...(options.env && { env: options.env }),
    ...(options.signal && { signal: options.signal }),
  });
  const digests = await resolveDigests(found.images, {
    open: options.open,
    ...(embed.maxPulls !== undefined && { maxPulls: embed.maxPulls }),
    ...(options.signal && { signal: options.signal }),
  });
  return {
    ...found,
    images: found.images.map((image) => ({ ...image, ...digests.get(image) })),
    sources: await fetcher.pins(),
  };
}

/**
 * What `kimg build --dry-run` exits with: the images that could not be resolved fail it (naming each image and
 * its file:line, as the build would), unless `--ignore-missing-images`, when they are warnings.
 */
export function dryRunProblems(result: DryRunResult): KimgError | undefined {
  const failed = result.images.filter((image) => image.error !== undefined);
  if (failed.length === 0) return undefined;
  return new KimgError(
    'IMAGE_NOT_FOUND',
    failed.length === 1
      ? (failed[0]?.error as string)
      : `${failed.length} images cannot be embedded: ${failed.map((image) => image.error).join('; ')}`,
    'fix the references or push the images; --ignore-missing-images leaves them out with a warning',
  );
}
