import type { CommandModule } from 'yargs';
import { uninstallCluster } from '../../install';
import { defaultStoreRoot } from '../../store/paths';
import { createContext } from '../context';
import type { GlobalOptions } from '../global-options';

interface UninstallArgs extends GlobalOptions {
  cluster?: string;
}

export const uninstallCommand: CommandModule<GlobalOptions, UninstallArgs> = {
  builder: (argv) => argv.option('cluster', { type: 'string', describe: 'cluster name (default: default)' }),
  handler: async (argv) => {
    const { output, storeRoot } = createContext(argv);
    const result = await uninstallCluster({
      storeRoot: storeRoot ?? defaultStoreRoot(),
      ...(argv.cluster !== undefined && { cluster: argv.cluster }),
      onEvent: (message) => output.note(`kimg: ${message}`),
      onLine: (line) => {
        if (!output.quiet) process.stderr.write(`${line}\n`);
      },
    });
    output.result(
      {
        cluster: result.cluster,
        target: result.target,
        status: result.state.status,
        cleanSteps: result.state.cleanSteps,
        registryStopped: result.registryStopped,
      },
      () => `cluster ${result.cluster} uninstalled; logs and state kept in ${result.target}/.kimg`,
    );
  },
};
