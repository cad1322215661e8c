import { isDigest } from '../../digest';
import { KimgError } from '../../errors';
import { DEFAULT_TAG, parseReference, TAG_PATTERN, type ImageReference } from '../../reference';

/** What a ref names inside the target's repository: a tag, a digest, or both (the digest decides). */
export interface RepositoryRef {
  tag?: string;
  digest?: string;
}

/**
 * Reads a ref given to `resolve` or `tag` of the `docker://` target of `own`: a digest, a bare tag, or a full
 * reference to the same repository (what `locationRef` of a `docker://` location produces). A reference to
 * another repository is refused: a target is one repository, as a containers/image docker reference is.
 */
export function repositoryRef(
  ref: string | undefined,
  own: ImageReference,
  description: string,
): RepositoryRef {
  if (ref === undefined) return ownRef(own);
  if (isDigest(ref)) return { digest: ref };
  if (TAG_PATTERN.test(ref)) return { tag: ref };
  let parsed: ImageReference;
  try {
    parsed = parseReference(ref);
  } catch {
    throw invalid(ref, description);
  }
  if (parsed.domain !== own.domain || parsed.path !== own.path) throw invalid(ref, description);
  return ownRef(parsed);
}

function ownRef(reference: ImageReference): RepositoryRef {
  if (reference.digest !== undefined) {
    return { digest: reference.digest, ...(reference.tag !== undefined && { tag: reference.tag }) };
  }
  return { tag: reference.tag ?? DEFAULT_TAG };
}

/** The string a manifest request takes: the digest when there is one (it pins the content), else the tag. */
export function manifestReference(ref: RepositoryRef): string {
  return ref.digest ?? ref.tag ?? DEFAULT_TAG;
}

function invalid(ref: string, description: string): KimgError {
  return new KimgError(
    'INVALID_ARGUMENT',
    `"${ref}" does not name an image of ${description}`,
    'give a tag, a digest, or a reference to the same repository',
  );
}
