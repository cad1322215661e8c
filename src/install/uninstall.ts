import { lstat, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { KimgError } from '../errors';
import { withClusterLock } from './cluster-lock';
import { locateCluster, type ClusterLocation } from './cluster-target';
import { readClusterState, writeClusterState, type ClusterState } from './install-state';
import { stopRegistryService } from './registry-service';
import { runStep } from './run-step';

export interface UninstallOptions {
  storeRoot: string;
  cluster?: string;
  onEvent?: (message: string) => void;
  onLine?: (line: string) => void;
}

export interface UninstallResult {
  cluster: string;
  target: string;
  state: ClusterState;
  /** Whether a served registry was running and was stopped. */
  registryStopped: boolean;
}

/**
 * `kimg uninstall`: the clean hooks install recorded (clean-cri, clean-registry, clean: the reverse of install, as
 * sealos' bootstrap Delete undoes its appliers in reverse), then the served registry is stopped and what install
 * unpacked is removed. `.kimg/` stays: the logs and the final state (status `uninstalled`) are the receipt.
 * A failing clean hook stops here with nothing removed; a rerun runs it again.
 */
export async function uninstallCluster(options: UninstallOptions): Promise<UninstallResult> {
  const location = await locateCluster({
    storeRoot: options.storeRoot,
    ...(options.cluster !== undefined && { cluster: options.cluster }),
  });
  const { paths } = location;
  const state = await readClusterState(paths.stateFile);
  if (!state || state.status === 'uninstalled') {
    throw new KimgError(
      'INVALID_ARGUMENT',
      `no installed cluster "${location.name}"${state ? ` (it was uninstalled from ${paths.target})` : ''}`,
      '`kimg ps` lists the clusters of this host',
    );
  }
  return withClusterLock(paths, location.name, () => removeCluster(location, state, options));
}

async function removeCluster(
  location: ClusterLocation,
  state: ClusterState,
  options: UninstallOptions,
): Promise<UninstallResult> {
  const { paths } = location;
  const event = options.onEvent ?? (() => undefined);
  state.status = 'uninstalling';
  await writeClusterState(paths.stateFile, state);
  for (const hook of state.clean) {
    event(`run ${hook.name}: ${hook.command}`);
    const record = await runStep(
      { name: hook.name, kind: 'hook', command: hook.command, cwd: hook.cwd, env: hook.env },
      { log: paths.log(hook.name), target: paths.target, ...(options.onLine && { onLine: options.onLine }) },
    );
    state.cleanSteps.push(record);
    if (record.exitCode !== 0) {
      await writeClusterState(paths.stateFile, state);
      throw new KimgError(
        'HOOK_FAILED',
        `uninstall of cluster ${location.name} stopped at ${hook.name}: \`${hook.command}\` exited ${record.exitCode} (log: ${join(paths.target, record.log)})`,
        'fix the cause and run kimg uninstall again; nothing was removed yet',
      );
    }
  }
  let registryStopped = false;
  if (state.registry) {
    registryStopped = await stopRegistryService(state.registry.pid);
    event(
      registryStopped
        ? `stopped the registry at ${state.registry.url} (pid ${state.registry.pid})`
        : 'the registry was not running',
    );
  }
  for (const folder of ['rootfs', 'apps'])
    await rm(join(paths.target, folder), { recursive: true, force: true });
  await rm(paths.registryPidFile, { force: true });
  await rm(paths.registryReadyFile, { force: true });
  // The entry under the clusters home goes when it is a link to a --target; a target that is the entry keeps .kimg/.
  if ((await lstat(location.entry).catch(() => undefined))?.isSymbolicLink()) await rm(location.entry);
  state.status = 'uninstalled';
  await writeClusterState(paths.stateFile, state);
  return { cluster: location.name, target: paths.target, state, registryStopped };
}
