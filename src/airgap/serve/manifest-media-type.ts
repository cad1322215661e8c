import { MediaType } from '../../manifest';

/** What a stored manifest says about itself: what the server needs to answer with it and to list referrers. */
export interface ManifestFacts {
  /** The Content-Type to serve it with. */
  mediaType: string;
  /** `subject.digest` when it is a referrer (image-spec 1.1). */
  subject?: string;
  /** image-spec 1.1 referrers listing: `artifactType`, else the config's media type. */
  artifactType?: string;
  annotations?: Record<string, string>;
}

/**
 * The media type a stored manifest is served with, as distribution's manifest store decides it (registry/storage/
 * manifeststore.go Get): schema 1 by `schemaVersion`; schema 2 by its own `mediaType`; without one, an index when
 * it has `manifests`, else an OCI image manifest. Bytes that are not a JSON object are served as what they are
 * not known to be: application/octet-stream (the registry would refuse them; a read-only server just has them).
 */
export function manifestFacts(bytes: Buffer): ManifestFacts {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { mediaType: 'application/octet-stream' };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    return { mediaType: 'application/octet-stream' };
  const doc = json as Record<string, unknown>;
  if (doc.schemaVersion === 1) {
    return { mediaType: 'signatures' in doc ? MediaType.DockerManifestV1Signed : MediaType.DockerManifestV1 };
  }
  const declared = typeof doc.mediaType === 'string' && doc.mediaType !== '' ? doc.mediaType : undefined;
  const mediaType = declared ?? (Array.isArray(doc.manifests) ? MediaType.OciIndex : MediaType.OciManifest);
  const subject = stringField(doc.subject, 'digest');
  const artifactType =
    typeof doc.artifactType === 'string' ? doc.artifactType : stringField(doc.config, 'mediaType');
  const annotations = stringRecord(doc.annotations);
  return {
    mediaType,
    ...(subject !== undefined && { subject }),
    ...(artifactType !== undefined && { artifactType }),
    ...(annotations !== undefined && { annotations }),
  };
}

function stringField(value: unknown, key: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const field = (value as Record<string, unknown>)[key];
  return typeof field === 'string' ? field : undefined;
}

function stringRecord(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const entries = Object.entries(value as Record<string, unknown>).filter(
    (entry): entry is [string, string] => typeof entry[1] === 'string',
  );
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}
