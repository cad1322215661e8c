import { DEFAULT_DOMAIN, DEFAULT_TAG, OFFICIAL_REPOSITORY_PREFIX } from './grammar';
import type { ImageReference } from './image-reference';
import { parseReference } from './parse-reference';

/** `latest` when the reference has neither tag nor digest (normalize.go TagNameOnly); otherwise unchanged. */
export function withDefaultTag(ref: ImageReference): ImageReference {
  if (ref.tag !== undefined || ref.digest !== undefined) return ref;
  return { ...ref, tag: DEFAULT_TAG };
}

/** `docker.io/library/nginx`: the repository without tag or digest. */
export function repositoryName(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

function suffix(ref: ImageReference): string {
  return `${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** The full form, which parses back to the same reference: `docker.io/library/nginx:latest`, `…@sha256:…`. */
export function formatReference(ref: ImageReference): string {
  return repositoryName(ref) + suffix(ref);
}

/**
 * Docker's short form (normalize.go FamiliarString): docker.io is dropped, and so is `library/` when a single
 * component follows it. `nginx:latest`, `user/app:1`, `quay.io/org/app:v1`.
 */
export function familiarName(ref: ImageReference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return formatReference(ref);
  const rest = ref.path.slice(OFFICIAL_REPOSITORY_PREFIX.length);
  const official = ref.path.startsWith(OFFICIAL_REPOSITORY_PREFIX) && !rest.includes('/');
  return (official ? rest : ref.path) + suffix(ref);
}

/** `nginx` → `docker.io/library/nginx:latest`: the one spelling to compare and store names by. */
export function normalizeName(input: string): string {
  return formatReference(withDefaultTag(parseReference(input)));
}
