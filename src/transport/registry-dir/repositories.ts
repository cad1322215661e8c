import { promises as fs } from 'node:fs';
import { walkDirectories } from '../../fs';
import { DEFAULT_DOMAIN, OFFICIAL_REPOSITORY_PREFIX, parseReference } from '../../reference';
import type { RegistryDirPaths } from './paths';

/** What a name means inside a registry dir: a repository (no host) and a tag and/or digest. */
export interface RepositoryRef {
  repository: string;
  tag?: string;
  digest?: string;
}

/**
 * Repositories have no host (DESIGN.md "Cluster-image conventions", as sealos stores them): the reference's path
 * is the repository, `quay.io/a/b:1` → `a/b`, `nginx` → `library/nginx`. parseReference has validated every
 * component against the distribution grammar, so the name is a safe relative path.
 */
export function repositoryRef(ref: string): RepositoryRef {
  const { path, tag, digest } = parseReference(ref);
  return { repository: path, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

/**
 * Repositories a reader should try for `ref`, best first: its path, then — for a Docker Hub official name —
 * the bare name, because `skopeo copy … docker://127.0.0.1:5000/app` stores `app`, not `library/app`.
 */
export function candidateRepositories(ref: string): string[] {
  const { domain, path } = parseReference(ref);
  const bare = path.slice(OFFICIAL_REPOSITORY_PREFIX.length);
  return domain === DEFAULT_DOMAIN && path.startsWith(OFFICIAL_REPOSITORY_PREFIX) && !bare.includes('/')
    ? [path, bare]
    : [path];
}

/**
 * distribution's reference grammar caps a repository name at 255 characters, so it has at most 128 components;
 * the walk goes no deeper.
 */
const MAX_REPOSITORY_DEPTH = 128;

/**
 * Every repository under `repositories/`, sorted: a directory holding `_manifests` is one (the registry's
 * catalog, registry/storage/catalog.go handleRepository, keys on `_layers`; a repository without manifests has
 * nothing to resolve). Like the catalog walk we never descend into `_…` directories: repository path
 * components cannot start with `_`, so those are the registry's own. Symlinked folders are followed only inside
 * the dir and once each (fs/directory-walk.ts), so a symlink loop cannot make the listing endless.
 */
export async function listRepositories(paths: RegistryDirPaths): Promise<string[]> {
  const walked = await walkDirectories(
    paths.repositories,
    (name) => !name.startsWith('_') && !name.startsWith('.'),
    MAX_REPOSITORY_DEPTH,
  );
  return walked
    .filter(({ components, names }) => components.length > 0 && names.includes('_manifests'))
    .map(({ components }) => components.join('/'))
    .sort();
}

/** The tags of a repository that have a `current/link`, sorted. */
export async function listTags(paths: RegistryDirPaths, repository: string): Promise<string[]> {
  const tags = await readDirNames(paths.tags(repository));
  const present = await Promise.all(
    tags.map(async (tag) => ((await isFile(paths.tagCurrentLink(repository, tag))) ? tag : undefined)),
  );
  return present.filter((tag): tag is string => tag !== undefined).sort();
}

export async function repositoryExists(paths: RegistryDirPaths, repository: string): Promise<boolean> {
  return (await readDirNames(paths.repository(repository))).includes('_manifests');
}

async function readDirNames(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw err;
  }
}

async function isFile(path: string): Promise<boolean> {
  return (await fs.stat(path).catch(() => undefined))?.isFile() ?? false;
}
