/**
 * The unit everything moves by (image-spec descriptor.md). Fields we do not know are kept by the zod schemas
 * (see schemas.ts), so a descriptor read from a manifest is written back byte-identical.
 */
export interface Platform {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  features?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  data?: string;
  platform?: Platform;
  artifactType?: string;
}

/** image-spec annotations.md: the name of a manifest inside an OCI layout's index.json. */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
/** containerd's and Docker 25+'s full image name annotation in index.json. */
export const CONTAINERD_IMAGE_NAME_ANNOTATION = 'io.containerd.image.name';
