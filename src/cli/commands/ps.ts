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
      // Without the env records: image ENV and --env may hold secrets (they stay in the 0600 state file).
      clusters.map(({ state: { env: _env, clean, ...state }, registryRunning }) => ({
        ...state,
        clean: clean.map((hook) => ({ name: hook.name, command: hook.command })),
        registryRunning,
      })),
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
