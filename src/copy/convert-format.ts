import { digestOf } from '../digest';
import { KimgError } from '../errors';
import type { Descriptor } from '../manifest/descriptor';
import { MAX_MANIFEST_BYTES } from '../manifest/limits';
import { MediaType } from '../manifest/media-types';
import { parseManifest } from '../manifest/parse';
import { readBlob } from '../transport/read-blob';
import type { IoOptions, ReadOnlyTarget } from '../transport/types';

/** `--format oci|v2s2`: the manifest formats a copy can convert to (skopeo's names). */
export type ManifestFormat = 'oci' | 'v2s2';
export const MANIFEST_FORMATS: readonly ManifestFormat[] = ['oci', 'v2s2'];

/**
 * Layer media types that name the same bytes in both formats. Conversion relabels; it never touches layer or
 * config bytes, so diff IDs and the config digest stay as they are and only manifest digests change.
 */
const LAYER_PAIRS: [oci: string, docker: string][] = [
  [MediaType.OciLayerGzip, MediaType.DockerLayerGzip],
  [MediaType.OciLayer, MediaType.DockerLayer],
  [MediaType.OciLayerNondistributableGzip, MediaType.DockerForeignLayerGzip],
];

function convertLayerType(mediaType: string, format: ManifestFormat, digest: string): string {
  for (const [oci, docker] of LAYER_PAIRS) {
    if (mediaType === oci || mediaType === docker) return format === 'oci' ? oci : docker;
  }
  if (format === 'oci') return mediaType === MediaType.DockerLayerZstd ? MediaType.OciLayerZstd : mediaType;
  throw new KimgError(
    'UNSUPPORTED',
    `layer ${digest} (${mediaType}) has no Docker schema 2 media type`,
    'Docker schema 2 knows only gzip and uncompressed tar layers; keep the OCI format (drop --format v2s2)',
  );
}

type Json = Record<string, unknown>;

/**
 * Rewrites the image at `root` into `format`, children first; every document made is added to `made`.
 * Returns the new root (the same descriptor when the image already is in that format).
 */
export async function convertFormat(
  source: ReadOnlyTarget,
  root: Descriptor,
  format: ManifestFormat,
  made: Map<string, Buffer>,
  options?: IoOptions,
): Promise<Descriptor> {
  const bytes = made.get(root.digest) ?? (await readBlob(source, root, MAX_MANIFEST_BYTES, options));
  const parsed = parseManifest(bytes, root.mediaType, `manifest ${root.digest} in ${source.description}`);
  const document = JSON.parse(bytes.toString('utf8')) as Json;
  if (format === 'v2s2' && (document.subject !== undefined || document.artifactType !== undefined)) {
    throw new KimgError(
      'UNSUPPORTED',
      `${root.digest} is an OCI artifact or refers to another image (subject); Docker schema 2 cannot express that`,
      'keep the OCI format (drop --format v2s2)',
    );
  }
  let mediaType: string;
  let changed = false;
  if (parsed.kind === 'index') {
    mediaType = format === 'oci' ? MediaType.OciIndex : MediaType.DockerManifestList;
    const children: Descriptor[] = [];
    for (const child of parsed.index.manifests) {
      const converted = await convertFormat(source, child, format, made, options);
      changed ||= converted.digest !== child.digest;
      children.push({
        ...child,
        mediaType: converted.mediaType,
        digest: converted.digest,
        size: converted.size,
      });
    }
    document.manifests = children;
  } else {
    mediaType = format === 'oci' ? MediaType.OciManifest : MediaType.DockerManifest;
    const { config, layers } = parsed.manifest;
    const configType = convertConfigType(config.mediaType, format, config.digest);
    const layerTypes = layers.map((layer) => convertLayerType(layer.mediaType, format, layer.digest));
    changed ||=
      configType !== config.mediaType || layerTypes.some((type, i) => type !== layers[i]?.mediaType);
    document.config = { ...config, mediaType: configType };
    document.layers = layers.map((layer, i) => ({ ...layer, mediaType: layerTypes[i] }));
  }
  // Already in the target format: the original bytes (and digest) stay.
  if (!changed && parsed.mediaType === mediaType) return root;
  const converted = Buffer.from(JSON.stringify(withMediaType(document, mediaType)));
  const digest: string = digestOf(converted);
  made.set(digest, converted);
  return { mediaType, digest, size: converted.length };
}

function convertConfigType(mediaType: string, format: ManifestFormat, digest: string): string {
  if (mediaType === MediaType.OciConfig || mediaType === MediaType.DockerConfig) {
    return format === 'oci' ? MediaType.OciConfig : MediaType.DockerConfig;
  }
  if (format === 'oci') return mediaType;
  throw new KimgError(
    'UNSUPPORTED',
    `config ${digest} (${mediaType}) is not an image config`,
    'keep the OCI format (drop --format v2s2)',
  );
}

/** `mediaType` right after `schemaVersion`, as both specs show it; every other field keeps its place. */
function withMediaType(document: Json, mediaType: string): Json {
  const result: Json = { schemaVersion: document.schemaVersion, mediaType };
  for (const [key, value] of Object.entries(document)) if (!(key in result)) result[key] = value;
  return result;
}
