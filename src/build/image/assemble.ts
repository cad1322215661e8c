import { digestOf } from '../../digest';
import type { Descriptor } from '../../manifest/descriptor';
import { canonicalJson } from '../../manifest/canonical-json';
import { MediaType } from '../../manifest/media-types';
import type { StageImage } from './stage-image';

export interface AssembledImage {
  config: { descriptor: Descriptor; bytes: Buffer };
  manifest: { descriptor: Descriptor; bytes: Buffer };
}

/**
 * Writes a stage's config and OCI manifest as canonical JSON, so the same stage gives the same bytes and the
 * same digests on any machine (issue: reproducible builds). `created` is the build's timestamp rule
 * (SOURCE_DATE_EPOCH, else the epoch): never the wall clock.
 */
export function assembleImage(
  stage: StageImage,
  created: string,
  annotations?: Record<string, string>,
): AssembledImage {
  const { os, architecture, variant } = stage.platform;
  const config = {
    ...stage.extra,
    created,
    architecture,
    os,
    ...(variant !== undefined && { variant }),
    config: stage.runConfig,
    rootfs: { type: 'layers', diff_ids: stage.diffIds },
    history: stage.history,
  };
  const configBytes = canonicalJson(config);
  const configDescriptor: Descriptor = {
    mediaType: MediaType.OciConfig,
    digest: digestOf(configBytes),
    size: configBytes.length,
  };
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: configDescriptor,
    layers: stage.layers,
    ...(annotations && Object.keys(annotations).length > 0 && { annotations }),
  };
  const manifestBytes = canonicalJson(manifest);
  return {
    config: { descriptor: configDescriptor, bytes: configBytes },
    manifest: {
      descriptor: {
        mediaType: MediaType.OciManifest,
        digest: digestOf(manifestBytes),
        size: manifestBytes.length,
      },
      bytes: manifestBytes,
    },
  };
}

/** The build timestamp: SOURCE_DATE_EPOCH (reproducible-builds.org) when set, else the Unix epoch. */
export function buildTimestamp(env: NodeJS.ProcessEnv = process.env): Date {
  const epoch = env.SOURCE_DATE_EPOCH;
  if (epoch !== undefined && /^\d+$/.test(epoch)) return new Date(Number(epoch) * 1000);
  return new Date(0);
}
