import { KimgError } from '../errors';
import { OCI_REF_NAME_PATTERN } from '../reference';

/**
 * How a layout names its images. The local store normalizes (`nginx` → `docker.io/library/nginx:latest`) and
 * accepts docker-style short IDs; a plain `oci:DIR:REF` layout keeps REF verbatim, as skopeo does.
 */
export interface NamePolicy {
  /** The ref.name to store and look up for what the user typed; throws INVALID_REFERENCE on nonsense. */
  normalize(ref: string): string;
  /** Whether 4–64 hex digits resolve as a prefix of a manifest digest (docker's image IDs). */
  idPrefixes: boolean;
  /** Said in IMAGE_NOT_FOUND hints: how the user sees what the layout holds. */
  listHint: string;
}

/**
 * image-spec annotations.md grammar of org.opencontainers.image.ref.name (OCI_REF_NAME_PATTERN). ':' and '@'
 * are separators there, so full references such as docker.io/library/nginx:1 are valid names.
 */
export function isValidRefName(name: string): boolean {
  return OCI_REF_NAME_PATTERN.test(name);
}

export function checkRefName(name: string, where: string): string {
  if (!isValidRefName(name)) {
    throw new KimgError(
      'INVALID_REFERENCE',
      `"${name}" is not a valid image name in ${where}`,
      'OCI layout names are components of letters and digits joined by "/" and one of - . _ : @ + (image-spec annotations.md)',
    );
  }
  return name;
}

/** The `oci:DIR:REF` policy: REF stored exactly as given (skopeo writes `oci:dir:latest` as ref.name "latest"). */
export function verbatimPolicy(description: string): NamePolicy {
  return {
    normalize: (ref) => checkRefName(ref, description),
    idPrefixes: false,
    listHint: `list the names with: skopeo inspect or cat ${description.replace(/^oci:/, '')}/index.json`,
  };
}
