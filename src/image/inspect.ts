import { isKimgError } from '../errors';
import type { Descriptor } from '../manifest/descriptor';
import { MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES } from '../manifest/limits';
import { parseImageConfig, parseManifest } from '../manifest/parse';
import { formatPlatform } from '../manifest/platform';
import { readBlob } from '../transport/read-blob';
import type { IoOptions, ReadOnlyTarget } from '../transport/types';

export interface LayerSummary {
  mediaType: string;
  digest: string;
  size: number;
}

export interface ImageSummary {
  digest: string;
  mediaType: string;
  /** Bytes of every blob of the image: manifests, configs, layers (shared layers counted once). */
  size: number;
  platforms: string[];
  created?: string;
  config?: {
    digest: string;
    env?: string[];
    entrypoint?: string[];
    cmd?: string[];
    workingDir?: string;
    user?: string;
    labels?: Record<string, string>;
  };
  layers?: LayerSummary[];
  diffIds?: string[];
  /** A child of a sparse index that is not present here. */
  absent?: boolean;
  /** For an index: one summary per child manifest. */
  manifests?: ImageSummary[];
  annotations?: Record<string, string>;
}

/**
 * Reads what `kimg inspect` and `kimg images` show — manifest, config, platforms, sizes — from any target,
 * without unpacking layers. Every read is a verified fetch.
 */
export async function inspectImage(
  target: ReadOnlyTarget,
  desc: Descriptor,
  options?: IoOptions,
): Promise<ImageSummary> {
  const bytes = await readBlob(target, desc, MAX_MANIFEST_BYTES, options);
  const parsed = parseManifest(bytes, desc.mediaType, `manifest ${desc.digest} in ${target.description}`);
  if (parsed.kind === 'index') {
    const manifests = await Promise.all(
      parsed.index.manifests.map((child) => inspectChild(target, child, options)),
    );
    const counted = new Set<string>([desc.digest]);
    let size = desc.size;
    for (const child of manifests) {
      for (const [digest, blobSize] of blobSizes(child)) {
        if (!counted.has(digest)) {
          counted.add(digest);
          size += blobSize;
        }
      }
    }
    const created = manifests
      .map((m) => m.created)
      .filter((c): c is string => c !== undefined)
      .sort()
      .pop();
    return {
      digest: desc.digest,
      mediaType: parsed.mediaType,
      size,
      platforms: manifests.flatMap((m) => m.platforms),
      ...(created !== undefined && { created }),
      manifests,
      ...(parsed.index.annotations && { annotations: parsed.index.annotations }),
    };
  }
  const { manifest } = parsed;
  const configBytes = await readBlob(target, manifest.config, MAX_CONFIG_BYTES, options);
  const layers = manifest.layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size }));
  const summary: ImageSummary = {
    digest: desc.digest,
    mediaType: parsed.mediaType,
    size: desc.size + manifest.config.size + layers.reduce((sum, layer) => sum + layer.size, 0),
    platforms: [],
    layers,
    ...(manifest.annotations && { annotations: manifest.annotations }),
  };
  // Artifacts (image-spec 1.1) carry a non-image config: report the manifest without pretending it is an image.
  let config;
  try {
    config = parseImageConfig(configBytes, `config ${manifest.config.digest}`);
  } catch {
    return summary;
  }
  summary.platforms = [
    formatPlatform({
      os: config.os,
      architecture: config.architecture,
      ...(config.variant && { variant: config.variant }),
    }),
  ];
  if (config.created !== undefined) summary.created = config.created;
  summary.diffIds = config.rootfs.diff_ids;
  const c = config.config;
  summary.config = {
    digest: manifest.config.digest,
    ...(c?.Env && { env: c.Env }),
    ...(c?.Entrypoint && { entrypoint: c.Entrypoint }),
    ...(c?.Cmd && { cmd: c.Cmd }),
    ...(c?.WorkingDir && { workingDir: c.WorkingDir }),
    ...(c?.User && { user: c.User }),
    ...(c?.Labels && { labels: c.Labels }),
  };
  return summary;
}

async function inspectChild(
  target: ReadOnlyTarget,
  child: Descriptor,
  options?: IoOptions,
): Promise<ImageSummary> {
  let summary: ImageSummary;
  try {
    summary = await inspectImage(target, child, options);
  } catch (err) {
    // A sparse index (copied with --keep-index) lacks some children by design: report them as absent.
    if (!isKimgError(err, 'BLOB_UNKNOWN')) throw err;
    return {
      digest: child.digest,
      mediaType: child.mediaType,
      size: 0,
      platforms: child.platform ? [formatPlatform(child.platform)] : [],
      absent: true,
    };
  }
  // The index's platform field is authoritative for selection (image-index.md); prefer it when present.
  if (child.platform) summary.platforms = [formatPlatform(child.platform)];
  return summary;
}

function blobSizes(summary: ImageSummary): Map<string, number> {
  const sizes = new Map<string, number>();
  if (summary.manifests) {
    for (const child of summary.manifests) for (const [d, s] of blobSizes(child)) sizes.set(d, s);
    return sizes;
  }
  const layerBytes = (summary.layers ?? []).reduce((sum, layer) => sum + layer.size, 0);
  // summary.size already sums manifest + config + layers; spread it so shared layers dedupe by digest.
  sizes.set(summary.digest, summary.size - layerBytes);
  for (const layer of summary.layers ?? []) sizes.set(layer.digest, layer.size);
  return sizes;
}
