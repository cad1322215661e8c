import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { isKimgError, KimgError } from '../../errors';
import type { Descriptor } from '../../manifest/descriptor';
import { MAX_MANIFEST_BYTES } from '../../manifest/limits';
import { parseManifest } from '../../manifest/parse';
import type { ImageReference } from '../../reference';
import { canListTags } from '../../transport/capabilities';
import { openSource, type OpenContext } from '../../transport/open';
import { readBlob } from '../../transport/read-blob';
import type { ReadOnlyTarget } from '../../transport/types';
import { latestVersion, versionsHint } from './chart-version';
import { downloadTooLarge } from '../execute/url-download';

/** Helm's OCI media types (helm.sh/docs/topics/registries, pkg/registry/constants.go). */
export const HelmMediaType = {
  config: 'application/vnd.cncf.helm.config.v1+json',
  chart: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
} as const;

export interface PulledChart {
  /** The chart layer's digest: sha256 of the `.tgz` written to `file`. */
  digest: string;
  size: number;
  /** The manifest's digest (what `oci://…@sha256:` would pin). */
  manifest: string;
  /** The tag read (the chart version; Helm writes `+` as `_` in tags). */
  version?: string;
}

/**
 * `oci://REGISTRY/REPO[:VERSION|@DIGEST]` through kimg's registry client (auth.json logins, certs.d, the
 * insecure-registry rules): the manifest must be a Helm chart (config media type HelmMediaType.config), its
 * chart layer is streamed to `file` (verified against its digest by the client, at most `limit` bytes). No tag:
 * the highest stable semver tag, as Helm does for OCI charts.
 */
export async function pullOciChart(
  reference: ImageReference,
  written: string,
  file: string,
  options: { open: OpenContext; limit: number; signal?: AbortSignal },
): Promise<PulledChart> {
  const io = options.signal ? { signal: options.signal } : {};
  let target = await open(reference, options.open);
  try {
    let version = reference.digest === undefined ? reference.tag : undefined;
    if (reference.tag === undefined && reference.digest === undefined) {
      version = await newestTag(target, written, io);
      await target.close();
      target = await open({ ...reference, tag: version }, options.open);
    }
    const root = await target.resolve(undefined, io).catch((err: unknown) => {
      throw isKimgError(err, 'IMAGE_NOT_FOUND')
        ? new KimgError(
            'APP_SOURCE_NOT_FOUND',
            `${written}: the registry has no such chart or version`,
            'check the chart name and version (helm show chart oci://…)',
            { cause: err },
          )
        : err;
    });
    const layer = chartLayer(await readBlob(target, root, MAX_MANIFEST_BYTES, io), root, written);
    if (layer.size > options.limit) throw downloadTooLarge(written, options.limit, layer.size);
    // The client's stream verifies size and digest; a short or altered body fails the pipeline.
    await pipeline(await target.fetch(layer, io), createWriteStream(file, { mode: 0o644, flags: 'wx' }), io);
    return {
      digest: layer.digest,
      size: layer.size,
      manifest: root.digest,
      ...(version !== undefined && { version: version.replace(/_/g, '+') }),
    };
  } finally {
    await target.close();
  }
}

async function open(reference: ImageReference, context: OpenContext): Promise<ReadOnlyTarget> {
  return openSource({ transport: 'docker', reference }, context);
}

function chartLayer(bytes: Buffer, root: Descriptor, written: string): Descriptor {
  const notChart = (why: string) =>
    new KimgError(
      'APP_SOURCE_INVALID',
      `${written} is not a Helm chart: ${why}`,
      'name a chart pushed with helm push (oci://REGISTRY/REPO/CHART:VERSION), not a container image',
    );
  const parsed = parseManifest(bytes, root.mediaType, `manifest of ${written}`);
  if (parsed.kind !== 'manifest') throw notChart('it is an image index');
  const { config, layers } = parsed.manifest;
  if (config.mediaType !== HelmMediaType.config) throw notChart(`its config is ${config.mediaType}`);
  const chart = layers.filter((layer) => layer.mediaType === HelmMediaType.chart);
  if (chart.length !== 1 || !chart[0]) throw notChart(`it has ${chart.length} chart layers, not one`);
  return chart[0];
}

async function newestTag(
  target: ReadOnlyTarget,
  written: string,
  io: { signal?: AbortSignal },
): Promise<string> {
  if (!canListTags(target)) throw new Error(`${target.description} cannot list tags`);
  const tags = await target.tags(io);
  const newest = latestVersion(tags.map((tag) => tag.replace(/_/g, '+')));
  if (newest === undefined) {
    throw new KimgError(
      'APP_SOURCE_NOT_FOUND',
      `${written}: no tag is a stable semver version`,
      `name the version (oci://…:VERSION); ${versionsHint(tags)}`,
    );
  }
  return newest.replace(/\+/g, '_');
}
