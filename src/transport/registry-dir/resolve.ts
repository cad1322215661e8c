import { KimgError } from '../../errors';
import type { Descriptor } from '../../manifest';
import type { NamedImage } from '../types';
import { readManifestBlob } from './blob-files';
import { readLink } from './links';
import type { RegistryDirPaths } from './paths';
import {
  candidateRepositories,
  listRepositories,
  listTags,
  repositoryExists,
  repositoryRef,
} from './repositories';

/** Every `repository:tag` of the dir, in repository then tag order. */
export async function listImages(paths: RegistryDirPaths, where: string): Promise<NamedImage[]> {
  const images: NamedImage[] = [];
  for (const repository of await listRepositories(paths)) {
    for (const tag of await listTags(paths, repository)) {
      const descriptor = await describeTag(paths, repository, tag, where);
      if (descriptor) images.push({ name: `${repository}:${tag}`, descriptor });
    }
  }
  return images;
}

/**
 * The manifest `ref` names: a tag (default `latest`, as docker pulls) or a digest in its repository, found the
 * way the registry finds it — tags/<tag>/current/link, or the revision link (manifeststore.go: a manifest is
 * only in a repository if it is linked there). `ref` undefined: the dir's only tagged image.
 */
export async function resolveImage(
  paths: RegistryDirPaths,
  ref: string | undefined,
  where: string,
): Promise<Descriptor> {
  if (ref === undefined) return onlyImage(paths, where);
  const { tag, digest } = repositoryRef(ref);
  const repository = await findRepository(paths, ref, where);
  if (digest !== undefined) {
    if ((await readLink(paths.revisionLink(repository, digest), where, paths.root)) !== digest)
      throw new KimgError('IMAGE_NOT_FOUND', `no manifest ${digest} in ${repository} of ${where}`);
    return (await readManifestBlob(paths.blobData(digest), digest, where, paths.root)).descriptor;
  }
  const descriptor = await describeTag(paths, repository, tag ?? 'latest', where);
  if (descriptor) return descriptor;
  const tags = await listTags(paths, repository);
  throw new KimgError(
    'IMAGE_NOT_FOUND',
    `no tag "${tag ?? 'latest'}" in repository ${repository} of ${where}`,
    tags.length > 0 ? `its tags: ${tags.join(', ')}` : 'the repository has no tags',
  );
}

async function describeTag(
  paths: RegistryDirPaths,
  repository: string,
  tag: string,
  where: string,
): Promise<Descriptor | undefined> {
  const digest = await readLink(paths.tagCurrentLink(repository, tag), where, paths.root);
  if (digest === undefined) return undefined;
  return (await readManifestBlob(paths.blobData(digest), digest, where, paths.root)).descriptor;
}

async function findRepository(paths: RegistryDirPaths, ref: string, where: string): Promise<string> {
  const candidates = candidateRepositories(ref);
  for (const repository of candidates) if (await repositoryExists(paths, repository)) return repository;
  const repositories = await listRepositories(paths);
  throw new KimgError(
    'IMAGE_NOT_FOUND',
    `no repository ${candidates[0] ?? ref} in ${where}`,
    repositories.length > 0
      ? `its repositories: ${repositories.join(', ')}`
      : 'it holds no repositories; copy an image into it first',
  );
}

async function onlyImage(paths: RegistryDirPaths, where: string): Promise<Descriptor> {
  const images = await listImages(paths, where);
  const [first, second] = images;
  if (!first)
    throw new KimgError('IMAGE_NOT_FOUND', `${where} holds no image`, 'copy an image into it first');
  if (second) {
    throw new KimgError(
      'AMBIGUOUS_IMAGE',
      `${where} holds ${images.length} images; say which one`,
      `one of: ${images.map((image) => image.name).join(', ')}`,
    );
  }
  return first.descriptor;
}
