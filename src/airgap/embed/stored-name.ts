import { parseReference } from '../../reference';

/**
 * The name an image gets in `registry/`: its repository path without the source host, then its tag and digest
 * as written, `latest` when it has neither — `quay.io/a/b:1` → `a/b:1`, `nginx` → `library/nginx:latest`,
 * `a/b:1@sha256:…` → `a/b:1@sha256:…`. sealos stores images the same way (its registry-dir is served as the
 * cluster's registry, which clients reach through a mirror of every host), and so does the install side.
 */
export function storedName(reference: string): string {
  const { path, tag, digest } = parseReference(reference);
  if (tag === undefined && digest === undefined) return `${path}:latest`;
  return `${path}${tag !== undefined ? `:${tag}` : ''}${digest !== undefined ? `@${digest}` : ''}`;
}
