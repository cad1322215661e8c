import { formatImageLocation, normalizeName, parseImageLocation, type ImageLocation } from '../../reference';

/** Transports an image list may name besides registries; a bare name in a list is a registry image (sealos). */
const LIST_TRANSPORTS = ['oci', 'oci-archive', 'docker-archive', 'docker-daemon', 'registry-dir'];

/** One image as written somewhere, read: its one spelling to compare by, and where it lives if not a registry. */
export interface ImageEntry {
  written: string;
  /** `docker.io/library/nginx:latest`, or the skopeo spelling of a non-registry location (`docker-archive:x.tar`). */
  normalized: string;
  /** For images that are not in a registry: the archive, layout or daemon (paths relative to the context). */
  location?: ImageLocation;
}

/**
 * Reads a reference as written in a manifest, chart or list. Manifests hold registry references only; lists
 * (`images/shim/*`, `--image-list`) may also name any kimg transport, kept as written (skopeo's spelling,
 * src/reference's location parser). Throws `INVALID_REFERENCE` with the parser's hint.
 */
export function readImageEntry(written: string, allowTransports: boolean): ImageEntry {
  if (allowTransports) {
    if (written.startsWith('docker://'))
      return { written, normalized: normalizeName(written.slice('docker://'.length)) };
    const prefix = /^([a-z][a-z0-9+.-]*):/.exec(written)?.[1];
    if (prefix !== undefined && LIST_TRANSPORTS.includes(prefix)) {
      const location = parseImageLocation(written);
      return { written, normalized: formatImageLocation(location), location };
    }
  }
  return { written, normalized: normalizeName(written) };
}
