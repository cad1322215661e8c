import { createHash } from 'node:crypto';
import type { ReadOnlyTarget } from '../../transport/types';
import type { BuildCache } from '../cache';
import type { StageImage } from '../image/stage-image';
import type { CopySpec, Position } from '../plan/types';
import { resolveChownNames } from './chown-names';
import { positioned } from './copy-step';
import { lookupPaths } from './image-paths';
import type { UnpackLimits } from '../../unpack';

export interface LookupEnv {
  store: ReadOnlyTarget;
  cache: BuildCache;
  unpackLimits?: Partial<UnpackLimits>;
  signal?: AbortSignal;
}

/**
 * Whether a COPY/ADD `dest` written without a trailing slash is a directory the stage already has (reference:
 * "COPY": docker copies into an existing directory). Only the stage's layers can say; the answer is kept in
 * the build cache under the layers' diff IDs, so a rebuild does not read them again.
 */
export async function destIsDirectory(spec: CopySpec, image: StageImage, env: LookupEnv): Promise<boolean> {
  if (spec.dest.endsWith('/') || image.layers.length === 0) return false;
  const path = spec.dest.replace(/^\/+/, '');
  const key = `sha256:${createHash('sha256')
    .update(JSON.stringify(['dest-is-directory', image.diffIds, path]))
    .digest('hex')}`;
  const known = await env.cache.get(key);
  if (known?.directory !== undefined) return known.directory;
  const found = await lookupPaths(image, env.store, [path], env.signal, env.unpackLimits);
  const directory = found.get(path)?.type === 'directory';
  env.cache.put(key, { directory });
  return directory;
}

/** The owner of a COPY/ADD layer: `--chown` ids, or names resolved in the stage's /etc/passwd and /etc/group. */
export async function layerOwner(
  spec: CopySpec,
  image: StageImage,
  at: Position,
  env: LookupEnv,
): Promise<{ uid: number; gid: number } | undefined> {
  if (!spec.chownNames) return spec.owner;
  try {
    return await resolveChownNames(spec.chownNames, image, env.store, env.signal, env.unpackLimits);
  } catch (err) {
    throw positioned(at, err);
  }
}
