import { ClusterDirs, ClusterLabels, CLUSTER_IMAGE_TYPES, type ClusterImageType } from '../cluster';
import { copyImage } from '../copy/copy-image';
import { isKimgError } from '../errors';
import { openImageView, type ImageView } from '../image/image-view';
import { hostPlatform, type Platform } from '../manifest';
import { formatReference, parseImageLocation } from '../reference';
import type { OpenContext } from '../transport/open';
import type { LocalStore } from '../transport/local';

/** One image of an install, read from the local store: its platform's view and what its labels say. */
export interface ClusterImage {
  /** As given on the command line. */
  name: string;
  /** The name it has in the store (a pulled image's normalized name). */
  storeName: string;
  view: ImageView;
  type: ClusterImageType;
  /** Was the type labelled (sealos.io.type), or taken from the position (the first image is the rootfs)? */
  typeLabelled: boolean;
  labels: Readonly<Record<string, string>>;
  /** The config's Env as K=V pairs → a record (later entries win, as a shell would). */
  env: Record<string, string>;
  /** Its folder under `apps/` when it is an application image (appFolderName). */
  folder: string;
}

export interface ResolveOptions {
  store: LocalStore;
  open: OpenContext;
  platform?: Platform;
  /** Only the store: an image not there is IMAGE_NOT_FOUND (`--dry-run` changes nothing, the store included). */
  noPull?: boolean;
  /** Called before an image is pulled (the CLI prints it). */
  onPull?: (name: string) => void;
  signal?: AbortSignal;
}

/**
 * Resolves `name` in the local store, or pulls it into the store when it is not there (a `docker://` name is
 * always pulled, so a connected host installs straight from a registry), then reads its platform's image.
 */
export async function resolveClusterImage(name: string, options: ResolveOptions): Promise<ClusterImage> {
  const storeName = await inStoreOrPulled(name, options);
  const root = await options.store.resolve(storeName);
  const view = await openImageView(options.store, root, {
    platform: options.platform ?? hostPlatform(),
    name: `image ${name}`,
    platformHint: 'install it on a host of a platform it has',
  });
  const labels = view.config.config?.Labels ?? {};
  const labelled = labels[ClusterLabels.type];
  const type = CLUSTER_IMAGE_TYPES.find((t) => t === labelled);
  return {
    name,
    storeName,
    view,
    type: type ?? 'application',
    typeLabelled: type !== undefined,
    labels,
    env: envRecord(view.config.config?.Env ?? []),
    folder: appFolderName(storeName),
  };
}

async function inStoreOrPulled(name: string, options: ResolveOptions): Promise<string> {
  const location = parseImageLocation(name);
  if (location.transport === 'store') {
    try {
      await options.store.resolve(name);
      return name;
    } catch (err) {
      if (!isKimgError(err, 'IMAGE_NOT_FOUND') || !('reference' in location) || options.noPull) throw err;
    }
  }
  if (!('reference' in location) || (location.transport !== 'store' && location.transport !== 'docker')) {
    return name; // oci:, archives…: load them first (`kimg load`); resolve() names the problem
  }
  const storeName = formatReference(location.reference);
  if (options.noPull) return storeName; // resolve() then says it is not in the store
  options.onPull?.(storeName);
  await copyImage(
    { transport: 'docker', reference: location.reference },
    { transport: 'store', reference: location.reference },
    {
      open: options.open,
      names: [storeName],
      platforms: { kind: 'platforms', platforms: [options.platform ?? hostPlatform()] },
      ...(options.signal && { signal: options.signal }),
    },
  );
  return storeName;
}

/** `K=V` lines of a config's Env (image-spec config.md) as a record. */
export function envRecord(env: readonly string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (const line of env) {
    const at = line.indexOf('=');
    if (at > 0) record[line.slice(0, at)] = line.slice(at + 1);
  }
  return record;
}

/**
 * An application image's folder under `apps/`: its repository's last component (`docker.io/labring/helm:v3` →
 * `helm`), as sealos names `applications/<name>`.
 */
export function appFolderName(name: string): string {
  const withoutDigest = name.split('@')[0] ?? name;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const last = withoutDigest.slice(lastSlash + 1);
  const repo = last.split(':')[0] ?? last;
  return repo.replace(/[^A-Za-z0-9._-]/g, '_') || 'app';
}

/** Whether a layer member path is inside `registry/` (served in place, never unpacked). */
export function inRegistryFolder(parts: readonly string[]): boolean {
  return parts[0] === ClusterDirs.registry;
}
