import { join } from 'node:path';
import { KimgError } from '../errors';

/** sealos' default cluster name (`sealos run` without `--cluster`). */
export const DEFAULT_CLUSTER_NAME = 'default';

/** Where clusters live when `--target` is not given and KIMG_CLUSTERS_DIR is not set, as root. */
export const ROOT_CLUSTERS_HOME = '/var/lib/kimg/clusters';

/**
 * The folder that holds one entry per cluster of this host, `<home>/<name>` (the cluster's target, or a symlink to
 * the `--target` it was installed into, so `uninstall` and `ps` find it by name): `KIMG_CLUSTERS_DIR`, else
 * /var/lib/kimg/clusters as root (beside sealos' /var/lib/sealos), else `clusters/` in the store, which a user
 * can write and which is on the file system that has the space.
 */
export function clustersHome(storeRoot: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.KIMG_CLUSTERS_DIR;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return process.getuid?.() === 0 ? ROOT_CLUSTERS_HOME : join(storeRoot, 'clusters');
}

/** Cluster names become folder names: DNS-1123 labels, as sealos' cluster names (and Kubernetes object names). */
export function checkClusterName(name: string): string {
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) {
    throw new KimgError(
      'USAGE',
      `--cluster "${name}" is not a valid cluster name`,
      'use lower-case letters, digits and "-" (a DNS-1123 label, at most 63 characters)',
    );
  }
  return name;
}

/** The files of one installed cluster below its target DIR (docs/install.md, "What install writes"). */
export class ClusterPaths {
  constructor(readonly target: string) {}

  /** Rootfs and patch images merged: sealos' `/var/lib/sealos/data/<cluster>/rootfs`. */
  get rootfs(): string {
    return join(this.target, 'rootfs');
  }

  get scripts(): string {
    return join(this.rootfs, 'scripts');
  }

  get appsDir(): string {
    return join(this.target, 'apps');
  }

  /** One folder per application image (sealos' `applications/<name>/workdir`). */
  app(folder: string): string {
    return join(this.appsDir, folder);
  }

  /** kimg's own files: state, logs, the registry service's pid file. Kept by uninstall. */
  get kimgDir(): string {
    return join(this.target, '.kimg');
  }

  get stateFile(): string {
    return join(this.kimgDir, 'state.json');
  }

  get logsDir(): string {
    return join(this.kimgDir, 'logs');
  }

  log(step: string): string {
    return join(this.logsDir, `${step.replace(/[^A-Za-z0-9._-]/g, '_')}.log`);
  }

  get registryPidFile(): string {
    return join(this.kimgDir, 'registry.pid');
  }

  /** Written by the registry service once it listens: `{pid, url}`. */
  get registryReadyFile(): string {
    return join(this.kimgDir, 'registry.json');
  }

  get registryLog(): string {
    return this.log('registry');
  }
}
