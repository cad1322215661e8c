import { readdir } from 'node:fs/promises';
import { clustersHome } from './cluster-paths';
import { locateCluster } from './cluster-target';
import { readClusterState, type ClusterState } from './install-state';
import { registryServiceAlive } from './registry-service';

export interface ClusterSummary {
  state: ClusterState;
  /** Whether the served registry (if any) is running now. */
  registryRunning: boolean;
}

/** `kimg ps`: every cluster with an entry under the clusters home, with its state and whether its registry runs. */
export async function listClusters(storeRoot: string): Promise<ClusterSummary[]> {
  const home = clustersHome(storeRoot);
  const names = await readdir(home).catch(() => [] as string[]);
  const summaries: ClusterSummary[] = [];
  for (const name of names.sort()) {
    const location = await locateCluster({ storeRoot, cluster: name }).catch(() => undefined);
    const state = location && (await readClusterState(location.paths.stateFile).catch(() => undefined));
    if (!state) continue;
    summaries.push({
      state,
      registryRunning: state.registry ? await registryServiceAlive(state.registry.pid) : false,
    });
  }
  return summaries;
}
