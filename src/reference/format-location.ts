import { formatReference } from './format-reference';
import type { DockerArchiveRef, ImageLocation } from './image-location';

function dockerArchiveRef(ref: DockerArchiveRef): string {
  return ref.kind === 'index' ? `@${ref.index}` : formatReference(ref.reference);
}

/**
 * The skopeo spelling of a location, which parseImageLocation reads back to the same value. Used in messages
 * and as `Target.description`. References are written in full (`docker://docker.io/library/nginx:latest`),
 * as containers/image's StringWithinTransport does. A DIR or FILE containing ':' cannot be read back.
 */
export function formatImageLocation(location: ImageLocation): string {
  switch (location.transport) {
    case 'store':
      if ('id' in location) return location.id;
      // A possible ID prefix is written as typed: the full name would lose the ID reading.
      return location.idPrefix ?? formatReference(location.reference);
    case 'docker':
      return `docker://${formatReference(location.reference)}`;
    case 'oci':
      return `oci:${location.dir}${location.ref !== undefined ? `:${location.ref}` : ''}`;
    case 'oci-archive':
      return `oci-archive:${location.file}${location.ref !== undefined ? `:${location.ref}` : ''}`;
    case 'docker-archive':
      return `docker-archive:${location.file}${location.ref !== undefined ? `:${dockerArchiveRef(location.ref)}` : ''}`;
    case 'docker-daemon':
      return `docker-daemon:${'id' in location ? location.id : formatReference(location.reference)}`;
    case 'registry-dir':
      return `registry-dir:${location.dir}${location.ref !== undefined ? `:${formatReference(location.ref)}` : ''}`;
  }
}
