import type { ImageReference } from './image-reference';

/**
 * Where an image lives, named as skopeo names it (containers/image transports; DESIGN.md "Transports").
 * A bare name means kimg's own store. Every kind is a plain value; src/transport opens it.
 */
export const TRANSPORT_NAMES = [
  'store',
  'docker',
  'oci',
  'oci-archive',
  'docker-archive',
  'docker-daemon',
  'registry-dir',
] as const;
export type TransportName = (typeof TRANSPORT_NAMES)[number];

/**
 * The local store: by name, or by image ID (`sha256:<64 hex>` or the bare 64 hex digits).
 * A bare 4–63 hex digit name may also be an ID prefix; like docker, the store tries the name first and then
 * `idPrefix`.
 */
export type StoreLocation =
  { transport: 'store'; reference: ImageReference; idPrefix?: string } | { transport: 'store'; id: string };

export interface RegistryLocation {
  transport: 'docker';
  reference: ImageReference;
}

/** An OCI image layout directory; `ref` is the `org.opencontainers.image.ref.name` of one entry of index.json. */
export interface OciLayoutLocation {
  transport: 'oci';
  dir: string;
  ref?: string;
}

export interface OciArchiveLocation {
  transport: 'oci-archive';
  file: string;
  ref?: string;
}

/** containers/image docker-archive: an image named in manifest.json's RepoTags, or the N-th entry (`@N`). */
export type DockerArchiveRef = { kind: 'name'; reference: ImageReference } | { kind: 'index'; index: number };

export interface DockerArchiveLocation {
  transport: 'docker-archive';
  file: string;
  ref?: DockerArchiveRef;
}

/** The Docker Engine: by name (tag or digest, not both — the daemon cannot do both) or by image ID. */
export type DockerDaemonLocation =
  { transport: 'docker-daemon'; reference: ImageReference } | { transport: 'docker-daemon'; id: string };

/**
 * The on-disk storage of the CNCF distribution registry. Repositories there have no host: the reference's
 * `path` is the repository (`quay.io/a/b:1` → `a/b`, `nginx` → `library/nginx`, as sealos stores them).
 */
export interface RegistryDirLocation {
  transport: 'registry-dir';
  dir: string;
  ref?: ImageReference;
}

export type ImageLocation =
  | StoreLocation
  | RegistryLocation
  | OciLayoutLocation
  | OciArchiveLocation
  | DockerArchiveLocation
  | DockerDaemonLocation
  | RegistryDirLocation;
