import { KimgError } from '../../errors';
import type { Descriptor, Platform } from '../../manifest/descriptor';
import { MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES } from '../../manifest/limits';
import { parseImageConfig, parseManifest } from '../../manifest/parse';
import { formatPlatform, platformMatches } from '../../manifest/platform';
import { readBlob } from '../../transport/read-blob';
import type { IoOptions, ReadOnlyTarget } from '../../transport/types';
import type { HistoryEntry, StageImage } from './stage-image';

const OWN_FIELDS = new Set(['created', 'architecture', 'os', 'variant', 'config', 'rootfs', 'history']);

/**
 * The StageImage a `FROM image` starts from: for an index, the child of the build platform; its config split
 * into the run config and the fields we carry unchanged.
 */
export async function stageFromImage(
  target: ReadOnlyTarget,
  root: Descriptor,
  platform: Platform,
  name: string,
  options?: IoOptions,
): Promise<StageImage> {
  const bytes = await readBlob(target, root, MAX_MANIFEST_BYTES, options);
  const parsed = parseManifest(bytes, root.mediaType, `manifest of ${name}`);
  if (parsed.kind === 'index') {
    const child = parsed.index.manifests.find((m) => m.platform && platformMatches(m.platform, platform));
    if (!child) {
      const available = parsed.index.manifests.flatMap((m) =>
        m.platform ? [formatPlatform(m.platform)] : [],
      );
      throw new KimgError(
        'PLATFORM_NOT_FOUND',
        `base image ${name} has no ${formatPlatform(platform)} image`,
        `it has: ${available.join(', ') || 'no platforms declared'}; build with --platform one of those`,
      );
    }
    return stageFromImage(target, child, platform, name, options);
  }
  const { manifest } = parsed;
  const configBytes = await readBlob(target, manifest.config, MAX_CONFIG_BYTES, options);
  const config = parseImageConfig(configBytes, `config of ${name}`);
  const raw = JSON.parse(configBytes.toString('utf8')) as Record<string, unknown>;
  const extra = Object.fromEntries(Object.entries(raw).filter(([key]) => !OWN_FIELDS.has(key)));
  return {
    platform: {
      os: config.os,
      architecture: config.architecture,
      ...(config.variant !== undefined && { variant: config.variant }),
    },
    runConfig: (raw.config as Record<string, unknown> | undefined) ?? {},
    extra,
    layers: manifest.layers.map((layer) => ({ ...layer })),
    diffIds: [...config.rootfs.diff_ids],
    history: (config.history ?? []) as HistoryEntry[],
  };
}
