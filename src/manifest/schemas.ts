import type { z as Z } from 'zod';
import { isDigest } from '../digest';
import { defineLazyExports, zod } from '../lazy/lazy';
import { MediaType } from './media-types';

/**
 * zod schemas of the OCI image-spec v1.1 and Docker schema 2 documents. Every object is a looseObject: fields we
 * do not model are kept, so a document parsed and re-encoded loses nothing (and we never re-encode a document we
 * only move — its bytes travel unchanged).
 *
 * They are built (and zod loaded) on the first read of any of them, not at module load: see ../lazy/lazy.ts.
 */
function buildSchemas() {
  const z = zod();
  const digestSchema = z.string().refine(isDigest, { message: 'not a valid sha256/sha512 digest' });

  const platformSchema = z.looseObject({
    architecture: z.string().min(1),
    os: z.string().min(1),
    'os.version': z.string().optional(),
    'os.features': z.array(z.string()).optional(),
    variant: z.string().optional(),
    features: z.array(z.string()).optional(),
  });

  const annotationsSchema = z.record(z.string(), z.string());

  const descriptorSchema = z.looseObject({
    mediaType: z.string().min(1),
    digest: digestSchema,
    size: z.number().int().nonnegative(),
    urls: z.array(z.string()).optional(),
    annotations: annotationsSchema.optional(),
    data: z.string().optional(),
    platform: platformSchema.optional(),
    artifactType: z.string().optional(),
  });

  /** image-spec manifest.md; also Docker schema 2 (same shape, mediaType required there). */
  const imageManifestSchema = z.looseObject({
    schemaVersion: z.literal(2),
    mediaType: z.string().optional(),
    artifactType: z.string().optional(),
    config: descriptorSchema,
    layers: z.array(descriptorSchema),
    subject: descriptorSchema.optional(),
    annotations: annotationsSchema.optional(),
  });

  /** image-spec image-index.md; also the Docker manifest list. */
  const imageIndexSchema = z.looseObject({
    schemaVersion: z.literal(2),
    mediaType: z.string().optional(),
    artifactType: z.string().optional(),
    manifests: z.array(descriptorSchema),
    subject: descriptorSchema.optional(),
    annotations: annotationsSchema.optional(),
  });

  const historySchema = z.looseObject({
    created: z.string().optional(),
    created_by: z.string().optional(),
    author: z.string().optional(),
    comment: z.string().optional(),
    empty_layer: z.boolean().optional(),
  });

  /** image-spec config.md (the Docker config is a superset with the same core fields). */
  const imageConfigSchema = z.looseObject({
    created: z.string().optional(),
    author: z.string().optional(),
    architecture: z.string(),
    os: z.string(),
    'os.version': z.string().optional(),
    'os.features': z.array(z.string()).optional(),
    variant: z.string().optional(),
    config: z
      .looseObject({
        User: z.string().optional(),
        ExposedPorts: z.record(z.string(), z.unknown()).nullish(),
        Env: z.array(z.string()).nullish(),
        Entrypoint: z.array(z.string()).nullish(),
        Cmd: z.array(z.string()).nullish(),
        Volumes: z.record(z.string(), z.unknown()).nullish(),
        WorkingDir: z.string().optional(),
        Labels: z.record(z.string(), z.string()).nullish(),
        StopSignal: z.string().optional(),
      })
      .optional(),
    rootfs: z.looseObject({
      type: z.literal('layers'),
      diff_ids: z.array(digestSchema),
    }),
    history: z.array(historySchema).optional(),
  });

  return {
    digestSchema,
    platformSchema,
    descriptorSchema,
    imageManifestSchema,
    imageIndexSchema,
    imageConfigSchema,
  };
}

type Schemas = ReturnType<typeof buildSchemas>;

export declare const digestSchema: Schemas['digestSchema'];
export declare const platformSchema: Schemas['platformSchema'];
export declare const descriptorSchema: Schemas['descriptorSchema'];
/** image-spec manifest.md; also Docker schema 2 (same shape, mediaType required there). */
export declare const imageManifestSchema: Schemas['imageManifestSchema'];
/** image-spec image-index.md; also the Docker manifest list. */
export declare const imageIndexSchema: Schemas['imageIndexSchema'];
/** image-spec config.md (the Docker config is a superset with the same core fields). */
export declare const imageConfigSchema: Schemas['imageConfigSchema'];
defineLazyExports<Schemas>(
  exports,
  [
    'digestSchema',
    'platformSchema',
    'descriptorSchema',
    'imageManifestSchema',
    'imageIndexSchema',
    'imageConfigSchema',
  ],
  buildSchemas,
);

export type ImageManifest = Z.infer<typeof imageManifestSchema>;
export type ImageIndex = Z.infer<typeof imageIndexSchema>;
export type ImageConfig = Z.infer<typeof imageConfigSchema>;

export const KNOWN_INDEX_TYPES: readonly string[] = [MediaType.OciIndex, MediaType.DockerManifestList];
