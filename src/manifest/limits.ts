/**
 * Bounds on untrusted input, named so every reader uses the same numbers.
 * distribution-spec (pushing manifests): registries SHOULD accept manifests of at least 4 MiB.
 */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** Image configs are JSON too and read into memory; same cap as docker/distribution's default. */
export const MAX_CONFIG_BYTES = 8 * 1024 * 1024;
/** JSON files of archives and layouts (index.json, manifest.json, repositories). */
export const MAX_METADATA_BYTES = 16 * 1024 * 1024;
/** Registry error bodies (go-containerregistry caps them the same way). */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;
