import type { CommandModule } from 'yargs';
import { listClusters } from '../../install';
import { defaultStoreRoot } from '../../store/paths';
import { createContext } from '../context';
import type { GlobalOptions } from '../global-options';
import { formatTable } from '../output';

export const psCommand: CommandModule<GlobalOptions, GlobalOptions> = {
  handler: async (argv) => {
    const { output, storeRoot } = createContext(argv);
    const clusters = await listClusters(storeRoot ?? defaultStoreRoot());
    output.result(
      clusters.map(({ state, registryRunning }) => ({ ...state, registryRunning })),
      () =>
        formatTable(
          ['CLUSTER', 'STATUS', 'IMAGES', 'STEPS', 'REGISTRY', 'TARGET'],
          clusters.map(({ state, registryRunning }) => [
            state.cluster,
            state.status + (state.failedStep ? ` at ${state.failedStep}` : ''),
            state.images.map((image) => image.name).join(','),
            state.steps.map((step) => `${step.name}=${step.exitCode}`).join(','),
            state.registry
              ? `${state.registry.url} pid ${state.registry.pid}${registryRunning ? '' : ' (stopped)'}`
              : '-',
            state.target,
          ]),
        ),
    );
  },
};
