import { isAbsolute, resolve } from 'node:path';
import { KimgError } from '../../errors';
import { isWithin, realPathWithin } from '../../fs';
import type { Descriptor } from '../../manifest/descriptor';
import { formatReference, normalizeName, type ImageLocation } from '../../reference';
import { locationRef, openSource, type OpenContext } from '../../transport/open';
import type { IoOptions, ReadOnlyTarget } from '../../transport/types';

/** A listed image that lives in an archive, a layout or the Docker daemon, opened and found. */
export interface ContextImage {
  source: ReadOnlyTarget;
  descriptor: Descriptor;
  /** The name the image carries, normalized (`docker.io/acme/app:1`): what it is stored under. */
  name: string;
}

/**
 * Opens the image an image list names by transport (`docker-archive:x.tar`, `oci:DIR:REF`, `oci-archive:…`,
 * `registry-dir:…`, `docker-daemon:REF`). Paths are relative to the build context and must stay inside it, also
 * through symbolic links: a list is part of the context, and a build must not read what the context does not
 * hold (the same rule as COPY). The image is stored under the name it carries (see `carriedName`).
 */
export async function openContextImage(
  location: ImageLocation,
  contextDir: string,
  context: OpenContext,
  io: IoOptions,
): Promise<ContextImage> {
  const confined = await confineToContext(location, contextDir);
  const source = await openSource(confined, context);
  try {
    const ref = locationRef(confined);
    const descriptor = await source.resolve(ref, io);
    const name = await carriedName(confined, source, descriptor, io);
    return { source, descriptor, name };
  } catch (err) {
    await source.close().catch(() => undefined);
    throw err;
  }
}

/** `location` with its path made absolute inside `contextDir`; a path leading outside is refused. */
async function confineToContext(location: ImageLocation, contextDir: string): Promise<ImageLocation> {
  const root = resolve(contextDir);
  const inside = async (path: string): Promise<string> => {
    const absolute = resolve(root, path);
    if (!isWithin(root, absolute)) {
      throw new KimgError(
        'FILE_REFUSED',
        `${path} is outside the build context ${root}`,
        'put the archive or layout inside the build context and name it relative to it',
      );
    }
    // Through symbolic links too; a missing path fails as the transport would (ENOENT names it).
    await realPathWithin(absolute, root, isAbsolute(path) ? path : `${path} (in the build context)`);
    return absolute;
  };
  switch (location.transport) {
    case 'oci':
    case 'registry-dir':
      return { ...location, dir: await inside(location.dir) };
    case 'oci-archive':
    case 'docker-archive':
      return { ...location, file: await inside(location.file) };
    default:
      return location;
  }
}

/**
 * The name an image carries where it lives: the reference written in the location (`oci:DIR:REF` when REF is a
 * full reference, `docker-archive:x.tar:NAME`, `docker-daemon:NAME`, `registry-dir:DIR:NAME`), else the name the
 * source gives the resolved image (a docker-archive's RepoTag, an OCI layout's `org.opencontainers.image.ref.name`
 * when that is a full reference). A bare tag (`latest`, `v1`, OCI's usual ref.name) is no image name: refused,
 * as is an image that carries none.
 */
async function carriedName(
  location: ImageLocation,
  source: ReadOnlyTarget,
  descriptor: Descriptor,
  io: IoOptions,
): Promise<string> {
  switch (location.transport) {
    case 'docker-daemon':
      if ('reference' in location) return formatReference(location.reference);
      break;
    case 'registry-dir':
      if (location.ref) return formatReference(location.ref);
      break;
    case 'docker-archive':
      if (location.ref?.kind === 'name') return formatReference(location.ref.reference);
      break;
    case 'oci':
    case 'oci-archive': {
      const written = location.ref !== undefined ? asImageName(location.ref) : undefined;
      if (written !== undefined) return written;
      break;
    }
    default:
      break;
  }
  const listed = (await source.list(io))
    .filter((entry) => entry.descriptor.digest === descriptor.digest && entry.name !== undefined)
    .map((entry) => asImageName(entry.name as string))
    .filter((name): name is string => name !== undefined)
    .sort();
  const [first] = listed;
  if (first !== undefined) return first;
  throw new KimgError(
    'INVALID_REFERENCE',
    `${source.description} carries no image name to store it under`,
    'name it in the list line (`oci:DIR:REPO:TAG`, `docker-archive:FILE:REPO:TAG`), or save it with a name (`kimg save -o FILE NAME`)',
  );
}

/** A full image reference (a repository with a `/` or a tag or digest), normalized; a bare word is not one. */
function asImageName(text: string): string | undefined {
  if (!/[/:@]/.test(text)) return undefined;
  try {
    return normalizeName(text);
  } catch {
    return undefined;
  }
}
