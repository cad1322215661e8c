import { KimgError } from '../errors';
import type { Descriptor } from './descriptor';
import { parseBoundedJson } from './json-bounds';
import { MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES } from './limits';
import { isIndexMediaType, MediaType } from './media-types';
import {
  imageConfigSchema,
  imageIndexSchema,
  imageManifestSchema,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
} from './schemas';

export type ParsedManifest =
  | { kind: 'index'; mediaType: string; index: ImageIndex }
  | { kind: 'manifest'; mediaType: string; manifest: ImageManifest };

function parseJson(
  bytes: Uint8Array,
  what: string,
  limit: number,
  invalidCode: 'MANIFEST_INVALID' | 'CONFIG_INVALID',
): unknown {
  return parseBoundedJson(bytes, {
    what,
    maxBytes: limit,
    invalid: (message, cause) => new KimgError(invalidCode, message, undefined, { cause }),
  });
}

function schemaError(what: string, issues: { path: PropertyKey[]; message: string }[]): KimgError {
  const first = issues[0];
  const where = first
    ? `${first.path.map(String).join('.') || '(root)'}: ${first.message}`
    : 'unknown problem';
  return new KimgError('MANIFEST_INVALID', `${what} is not a valid manifest (${where})`);
}

/**
 * Parses an image manifest or index. The kind comes from the document's own `mediaType` field, else from the
 * media type it was served or described with, else from its shape (`manifests` vs `layers`), as image-spec
 * manifest.md and image-index.md allow `mediaType` to be absent. Schema 1 is refused with a hint.
 */
export function parseManifest(
  bytes: Uint8Array,
  declaredMediaType?: string,
  what = 'manifest',
): ParsedManifest {
  const json = parseJson(bytes, what, MAX_MANIFEST_BYTES, 'MANIFEST_INVALID');
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new KimgError('MANIFEST_INVALID', `${what} is not a JSON object`);
  }
  const record = json as Record<string, unknown>;
  if (record.schemaVersion === 1) {
    throw new KimgError(
      'UNSUPPORTED',
      `${what} uses Docker schema 1, which kimg does not read`,
      'convert it with a current Docker or skopeo (schema 1 is deprecated by the registry spec)',
    );
  }
  const mediaType =
    (typeof record.mediaType === 'string' ? record.mediaType : undefined) ??
    declaredMediaType ??
    (Array.isArray(record.manifests) ? MediaType.OciIndex : MediaType.OciManifest);
  if (isIndexMediaType(mediaType) || (!isKnownManifestType(mediaType) && Array.isArray(record.manifests))) {
    const result = imageIndexSchema.safeParse(json);
    if (!result.success) throw schemaError(what, result.error.issues);
    return { kind: 'index', mediaType, index: result.data };
  }
  const result = imageManifestSchema.safeParse(json);
  if (!result.success) throw schemaError(what, result.error.issues);
  return { kind: 'manifest', mediaType, manifest: result.data };
}

function isKnownManifestType(mediaType: string): boolean {
  return mediaType === MediaType.OciManifest || mediaType === MediaType.DockerManifest;
}

/** The descriptors a manifest or index points at: what must exist before it (copy order, GC marking). */
export function manifestChildren(parsed: ParsedManifest): Descriptor[] {
  if (parsed.kind === 'index') return [...parsed.index.manifests];
  return [parsed.manifest.config, ...parsed.manifest.layers];
}

export function parseImageConfig(bytes: Uint8Array, what = 'image config'): ImageConfig {
  const json = parseJson(bytes, what, MAX_CONFIG_BYTES, 'CONFIG_INVALID');
  const result = imageConfigSchema.safeParse(json);
  if (!result.success) {
    const first = result.error.issues[0];
    throw new KimgError(
      'CONFIG_INVALID',
      `${what} is not a valid image config (${first ? `${first.path.map(String).join('.')}: ${first.message}` : 'unknown'})`,
    );
  }
  return result.data;
}
