import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseDigest } from '../digest';

/**
 * Where things live in an OCI image layout (image-spec image-layout.md) plus kimg's private `.kimg/` folder.
 * The spec fixes `oci-layout`, `index.json` and `blobs/<alg>/<encoded>`; readers (skopeo, umoci) ignore other
 * entries, so our lock and staging area can sit beside them without making the layout invalid.
 */
export class LayoutPaths {
  constructor(readonly root: string) {}

  get layoutFile(): string {
    return join(this.root, 'oci-layout');
  }

  get indexFile(): string {
    return join(this.root, 'index.json');
  }

  get blobsDir(): string {
    return join(this.root, 'blobs');
  }

  blob(digest: string): string {
    const { algorithm, encoded } = parseDigest(digest);
    return join(this.root, 'blobs', algorithm, encoded);
  }

  /** kimg's private state: the lock and the ingest (staging) area. */
  get kimgDir(): string {
    return join(this.root, '.kimg');
  }

  /** Where blobs were seen on registries, for cross-repository mounts (transport/registry/blob-locations.ts). */
  get blobLocationsFile(): string {
    return join(this.kimgDir, 'blob-locations.json');
  }

  get ingestDir(): string {
    return join(this.kimgDir, 'ingest');
  }

  /**
   * Scratch space of commands that need room beyond a transaction's staging: a gzipped archive inflated for
   * random access, a build's working files (store/scratch.ts). Each user has its own `<pid>-<host>-<random>` dir
   * with an owner file, so prune removes those of dead processes.
   */
  get scratchDir(): string {
    return join(this.kimgDir, 'scratch');
  }

  /** proper-lockfile creates this as a directory (mkdir is atomic, also on NFS). */
  get lockFile(): string {
    return join(this.kimgDir, 'index.lock');
  }
}

/**
 * The store root: $KIMG_ROOT, else $XDG_DATA_HOME/kimg (XDG Base Directory spec: "user-specific data files"),
 * else ~/.local/share/kimg (the spec's default for an unset or empty XDG_DATA_HOME).
 */
export function defaultStoreRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KIMG_ROOT) return env.KIMG_ROOT;
  const xdg = env.XDG_DATA_HOME;
  // The XDG spec says relative values are invalid and must be ignored.
  if (xdg && xdg.startsWith('/')) return join(xdg, 'kimg');
  return join(env.HOME || homedir(), '.local', 'share', 'kimg');
}
