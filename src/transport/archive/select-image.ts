import { KimgError } from '../../errors';
import { normalizeName } from '../../reference';

/** One root image of an archive and every name it may be asked for by. */
export interface Candidate<T> {
  value: T;
  /** Names matched exactly first (annotation values, RepoTags as written). */
  names: string[];
  /** Identity for "is it the same image" (the manifest digest). */
  key: string;
}

function tryNormalize(name: string): string | undefined {
  try {
    return normalizeName(name);
  } catch {
    return undefined; // e.g. an OCI ref.name like "v1.0" that is a tag, not a docker reference
  }
}

/**
 * The image `ref` names, as skopeo chooses inside an archive: an exact name match wins; otherwise names are
 * compared in their normalized form (`nginx` = `docker.io/library/nginx:latest`). With `ref` undefined the
 * archive must hold exactly one image.
 */
export function selectImage<T>(description: string, candidates: Candidate<T>[], ref: string | undefined): T {
  const allNames = [...new Set(candidates.flatMap((c) => c.names))];
  const listing = allNames.length > 0 ? `it holds: ${allNames.join(', ')}` : 'it holds no named images';
  let matches = candidates;
  if (ref !== undefined) {
    matches = candidates.filter((c) => c.names.includes(ref));
    const normalized = matches.length === 0 ? tryNormalize(ref) : undefined;
    if (normalized !== undefined)
      matches = candidates.filter((c) => c.names.some((name) => tryNormalize(name) === normalized));
  }
  const distinct = [...new Map(matches.map((c) => [c.key, c])).values()];
  const only = distinct[0];
  if (distinct.length === 1 && only) return only.value;
  if (distinct.length === 0) {
    throw new KimgError(
      'IMAGE_NOT_FOUND',
      ref === undefined ? `${description} holds no images` : `${description} has no image named "${ref}"`,
      listing,
    );
  }
  throw new KimgError(
    'AMBIGUOUS_IMAGE',
    ref === undefined
      ? `${description} holds ${distinct.length} images; say which one`
      : `"${ref}" names ${distinct.length} images in ${description}`,
    `${listing}; add :NAME or :@INDEX to the archive path`,
  );
}

/** `@N`: the N-th (0-based) image, as containers/image's docker-archive source-index syntax. */
export function parseSourceIndex(ref: string | undefined): number | undefined {
  const match = ref === undefined ? null : /^@(\d+)$/.exec(ref);
  return match ? Number(match[1]) : undefined;
}
