import { discoverImages, type DiscoveredImage, type DiscoveryResult } from '../airgap/discovery';
import { resolveDigests, type ImageDigest } from '../airgap/embed';
import type { AppRecord } from '../cluster';
import { hostPlatform } from '../manifest/host-platform';
import { parse, type BuildOptions } from './build';
import { BuildDiagnosticsError } from './execute/build-error';
import { planBuild, type ConfigEdit } from './plan';

/** A discovered image with what its registry answered (none for archives, layouts and the daemon). */
export type DryRunImage = DiscoveredImage & ImageDigest;

export interface DryRunResult extends DiscoveryResult {
  images: DryRunImage[];
}

/**
 * `kimg build --dry-run`: the images the build would embed, each with where it was asked for and its digest —
 * the Kubefile is parsed and planned (pure) for its APP/CNI/CSI, discovery reads the context, and each registry
 * image is resolved by one manifest HEAD (`--max-pull-procs` at once); an image that cannot be resolved shows
 * its error and the dry run goes on. Nothing is pulled, no layer written, the store is not opened. Apps a base
 * image declared are not seen (the base is not read): only the Kubefile's own.
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
  for (const index of plan.needed) {
    for (const { action } of plan.stages[index]?.steps ?? []) {
      const edit: ConfigEdit | undefined =
        action.kind === 'config' ? action.edit : action.kind === 'copy' ? action.then : undefined;
      if (edit?.op === 'app') apps.set(edit.app.name, { ...edit.app });
    }
  }
  const embed = options.embed ?? {};
  const found = await discoverImages(options.context, {
    ...(embed.helm !== undefined && { helm: embed.helm }),
    imageLists: embed.imageLists ?? [],
    ignoreLists: embed.ignoreLists ?? [],
    apps: [...apps.values()],
    ...(options.env && { env: options.env }),
    ...(options.signal && { signal: options.signal }),
  });
  const digests = await resolveDigests(found.images, {
    open: options.open,
    ...(embed.maxPulls !== undefined && { maxPulls: embed.maxPulls }),
    ...(options.signal && { signal: options.signal }),
  });
  return { ...found, images: found.images.map((image) => ({ ...image, ...digests.get(image) })) };
}
