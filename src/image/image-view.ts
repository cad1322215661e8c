import { KimgError } from '../errors';
import type { Descriptor, Platform } from '../manifest/descriptor';
import { MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES } from '../manifest/limits';
import { parseImageConfig, parseManifest } from '../manifest/parse';
import { formatPlatform, platformMatches } from '../manifest/platform';
import type { ImageConfig, ImageIndex, ImageManifest } from '../manifest/schemas';
import { readBlob } from '../transport/read-blob';
import type { IoOptions, ReadOnlyTarget } from '../transport/types';

/**
 * One image of one platform, read from any target (go-containerregistry's partial/: "manifest, config, layers
 * for this platform"): the walk from a root (an index or a manifest) down to the platform's manifest and its
 * config, done once, with every read verified and size-capped. Build's FROM, `kimg inspect`, embedding and
 * install read images through this instead of parsing manifests themselves.
 */
export interface ImageView {
  /** What was asked for: an index or a manifest. */
  root: Descriptor;
  /** The index the platform's image was chosen from, when the root is one. */
  index?: { descriptor: Descriptor; index: ImageIndex };
  /** The platform's image manifest. */
  descriptor: Descriptor;
  manifest: ImageManifest;
  config: ImageConfig;
  /** The config as JSON, every field kept (the schema keeps unknown fields, this keeps their order too). */
  configJson: Record<string, unknown>;
  layers: Descriptor[];
  /** The image's own platform, from its config. */
  platform: Platform;
}

export interface ImageViewOptions extends IoOptions {
  /** Which child of an index; required when the root is an index. */
  platform?: Platform;
  /** How the image is named in errors (`base image nginx:1`, `manifest sha256:… in oci:dir`). */
  name?: string;
  /** Added to the PLATFORM_NOT_FOUND hint (what the caller's user can do). */
  platformHint?: string;
}

export async function openImageView(
  target: ReadOnlyTarget,
  root: Descriptor,
  options: ImageViewOptions = {},
): Promise<ImageView> {
  const name = options.name ?? `${root.digest} in ${target.description}`;
  let descriptor = root;
  let index: ImageView['index'];
  // An index may nest indexes (image-index.md allows it); each level picks the platform's child.
  for (let depth = 0; ; depth += 1) {
    const parsed = parseManifest(
      await readBlob(target, descriptor, MAX_MANIFEST_BYTES, options),
      descriptor.mediaType,
      `manifest of ${name}`,
    );
    if (parsed.kind === 'manifest') {
      const configBytes = await readBlob(target, parsed.manifest.config, MAX_CONFIG_BYTES, options);
      const config = parseImageConfig(configBytes, `config of ${name}`);
      const configJson = JSON.parse(Buffer.from(configBytes).toString('utf8')) as Record<string, unknown>;
      return {
        root,
        ...(index && { index }),
        descriptor,
        manifest: parsed.manifest,
        config,
        configJson,
        layers: parsed.manifest.layers.map((layer) => ({ ...layer })),
        platform: {
          os: config.os,
          architecture: config.architecture,
          ...(config.variant !== undefined && { variant: config.variant }),
        },
      };
    }
    if (depth >= MAX_INDEX_DEPTH)
      throw new KimgError('MANIFEST_INVALID', `${name}: indexes nested more than ${MAX_INDEX_DEPTH} deep`);
    if (!options.platform) {
      throw new KimgError(
        'PLATFORM_NOT_FOUND',
        `${name} is a multi-platform index and no platform was given`,
        options.platformHint ?? 'name a platform (--platform os/arch)',
      );
    }
    index = { descriptor, index: parsed.index };
    descriptor = choosePlatformChild(parsed.index, options.platform, name, options.platformHint);
  }
}

/** Indexes of indexes are rare (attestation trees); a cycle or a hostile chain stops here. */
export const MAX_INDEX_DEPTH = 4;

/**
 * The child of `index` for `platform`: the first whose platform matches (containerd's normalization: `arm64` is
 * `arm64/v8`, `amd64` has no variant), as docker and containerd pick it. The one place kimg chooses; copy's
 * platform filter and build's FROM call it. Not found: PLATFORM_NOT_FOUND listing what the index has.
 */
export function choosePlatformChild(
  index: ImageIndex,
  platform: Platform,
  name: string,
  hint?: string,
): Descriptor {
  const child = index.manifests.find((m) => m.platform && platformMatches(m.platform, platform));
  if (child) return child;
  const available = [
    ...new Set(index.manifests.flatMap((m) => (m.platform ? [formatPlatform(m.platform)] : []))),
  ];
  throw new KimgError(
    'PLATFORM_NOT_FOUND',
    `${name} has no ${formatPlatform(platform)} image`,
    `it has: ${available.join(', ') || 'no platforms declared'}${hint ? `; ${hint}` : ''}`,
  );
}
