import { posix } from 'node:path';
import { KimgError } from '../../errors';

/**
 * Symlinks of the context are copied as links (Docker keeps them too) and never followed while reading. A link
 * whose target leaves the context — absolute, or climbing out with `..` — is refused: in the image it would
 * point at whatever the image has there, which is not what the author saw when the build worked on their
 * machine, and a build that silently depends on the host is not reproducible.
 */
export function linkEscapes(linkPath: string, target: string): boolean {
  if (posix.isAbsolute(target)) return true;
  const resolved = posix.normalize(posix.join(posix.dirname(linkPath), target));
  return resolved === '..' || resolved.startsWith('../');
}

export function symlinkEscapeError(root: string, linkPath: string, target: string): KimgError {
  return new KimgError(
    'INVALID_ARGUMENT',
    `symlink ${linkPath} in the build context ${root} points outside the context (to ${target})`,
    'make the link relative to a path inside the context, copy its target into the context, ' +
      'or exclude the link in .kubefileignore / .dockerignore',
  );
}
