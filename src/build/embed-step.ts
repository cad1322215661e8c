import { rm } from 'node:fs/promises';
import type { DiscoveryOptions, DiscoveryResult } from '../airgap/discovery';
import { hasDiscoveryInputs } from '../airgap/discovery/discovery-inputs';
import { appRecordsSchema, ClusterLabels, readLabelRecord, type AppRecord } from '../cluster';
import type { OpenContext } from '../transport/open';
import { registryLayerKey } from './cache';
import { withLabels } from './execute/build-output';
import type { StageImage } from './image/stage-image';
import type { FinalizeStep } from './finalize';

/** What `kimg build` embeds and how (`--save-images` and the flags beside it). */
export interface EmbedSettings {
  /** `--helm PATH`; `false` never runs Helm. Default: `KIMG_HELM`, then PATH. */
  helm?: string | false;
  /** `--image-list FILE` (repeatable). */
  imageLists: readonly string[];
  /** `--ignore-images FILE` (repeatable). */
  ignoreLists: readonly string[];
  /** `--max-pull-procs`; default 5. */
  maxPulls?: number;
  /** `--ignore-missing-images`. */
  ignoreMissing: boolean;
  /** `--all-platforms`: every child of an index, not only the build's platform. */
  allPlatforms: boolean;
}

export interface EmbedStepOptions {
  contextDir: string;
  settings: EmbedSettings;
  open: OpenContext;
  env: NodeJS.ProcessEnv;
  /** Discovery's and embedding's warnings, one line each. */
  onWarning: (line: string) => void;
}

/**
 * The finalize step that makes a cluster image carry its apps' container images (docs/airgap.md "Embedding"):
 * discovery on the context (once per build, with the apps of the image's `io.kimg.apps` record), every image
 * resolved by name, then — unless the build cache holds a `registry/` layer for exactly that set and the store
 * still has it — copied into a registry-dir in the build's scratch dir and written as ONE uncompressed layer
 * (`registry/docker/registry/v2/…`); the list goes to the `io.kimg.images` label. Nothing found, nothing added.
 */
export function embedStep(options: EmbedStepOptions): FinalizeStep {
  let discovered: Promise<DiscoveryResult> | undefined;
  return {
    name: 'embed images',
    apply: async (image, { platform, session, settings, signal }) => {
      discovered ??= discover(options, appsOf(image), await session.apps.trees(), signal).then((result) => {
        result.warnings.forEach(options.onWarning);
        return result;
      });
      const { images } = await discovered;
      if (images.length === 0) return image;
      // Loaded only when there is something to embed (a plain rootfs build never pays for it).
      const { copyResolved, embeddedRecords, registryLayerEntries, resolveImages } =
        await import('../airgap/embed');
      const platforms = options.settings.allPlatforms ? ('all' as const) : [platform];
      const embed = {
        open: options.open,
        platforms,
        ...(options.settings.maxPulls !== undefined && { maxPulls: options.settings.maxPulls }),
        ignoreMissing: options.settings.ignoreMissing,
        onWarning: options.onWarning,
        contextDir: options.contextDir,
        ...(signal && { signal }),
      };
      const resolved = await resolveImages(images, embed);
      try {
        if (resolved.images.length === 0) return image;
        const records = embeddedRecords(resolved.images, platforms);
        const key = registryLayerKey(records, records[0]?.platforms ?? [], settings.layers.timestamp);
        const hit = settings.noCache ? undefined : (await session.cache.get(key))?.layer;
        let layer = hit && (await session.store.exists(hit.descriptor)) ? hit : undefined;
        if (!layer) {
          const dir = await session.output.scratch('registry');
          try {
            await copyResolved(resolved.images, dir, embed);
            layer = await session.output.write(await registryLayerEntries(dir), undefined, 'none');
          } finally {
            await rm(dir, { recursive: true, force: true }); // the layer holds it now: not twice on disk
          }
        }
        session.cache.put(key, { layer });
        const withLayer: StageImage = {
          ...image,
          layers: [...image.layers, layer.descriptor],
          diffIds: [...image.diffIds, layer.diffId],
          history: [
            ...image.history,
            {
              created: settings.created.toISOString(),
              created_by: `kimg build: embed ${records.length} image(s) into registry/`,
            },
          ],
        };
        return withLabels(withLayer, { [ClusterLabels.images]: JSON.stringify(records) });
      } finally {
        await resolved.close();
      }
    },
  };
}

async function discover(
  options: EmbedStepOptions,
  apps: AppRecord[],
  fetchedSources: DiscoveryOptions['fetchedSources'],
  signal: AbortSignal | undefined,
): Promise<DiscoveryResult> {
  const imageLists = options.settings.imageLists;
  if (!(await hasDiscoveryInputs(options.contextDir, { apps, imageLists })))
    return { images: [], warnings: [] };
  const { discoverImages } = await import('../airgap/discovery');
  return discoverImages(options.contextDir, {
    ...(fetchedSources && { fetchedSources }),
    ...(options.settings.helm !== undefined && { helm: options.settings.helm }),
    imageLists: options.settings.imageLists,
    ignoreLists: options.settings.ignoreLists,
    apps,
    env: options.env,
    ...(signal && { signal }),
  });
}

/** The APP/CNI/CSI of the Kubefile, as the build recorded them; a record that does not parse names no app. */
function appsOf(image: StageImage): AppRecord[] {
  const labels = image.runConfig.Labels as Record<string, string> | undefined;
  const read = readLabelRecord(labels, ClusterLabels.apps, () => appRecordsSchema, []);
  return read.ok ? read.value : [];
}
