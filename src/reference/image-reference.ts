/**
 * A parsed, normalized docker reference: `docker.io/library/nginx:1.27@sha256:…` is
 * `{ domain: 'docker.io', path: 'library/nginx', tag: '1.27', digest: 'sha256:…' }`.
 * A reference may carry a tag, a digest, both (the digest decides what is fetched) or neither.
 */
export interface ImageReference {
  domain: string;
  path: string;
  tag?: string;
  digest?: string;
}
