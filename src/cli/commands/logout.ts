import type { CommandModule } from 'yargs';
import { authFileLocations, createCredentialStore } from '../../registry/credentials';
import { createContext } from '../context';
import type { GlobalOptions } from '../global-options';
import { parseRegistryArg } from '../registry-arg';
import { otherLoginSource } from '../login-source';

interface LogoutArgs extends GlobalOptions {
  registry: string;
}

export const logoutCommand: CommandModule<GlobalOptions, LogoutArgs> = {
  builder: (argv) =>
    argv.positional('registry', {
      type: 'string',
      demandOption: true,
      describe: 'HOST[:PORT] or HOST/NAMESPACE, as given to kimg login',
    }),
  handler: async (argv) => {
    const { output } = createContext(argv);
    const target = parseRegistryArg(argv.registry);
    const locations = authFileLocations({ authfile: argv.authfile, env: process.env });
    const file = locations.write.path;
    const removed = await createCredentialStore({ authfile: argv.authfile }).erase(target.key);
    // podman: "Not logged into X with current tool. Existing credentials were established via FILE".
    const stillIn = argv.authfile === undefined ? await otherLoginSource(target.key, locations) : undefined;
    if (stillIn !== undefined) {
      output.warn(
        `credentials for ${target.key} still come from ${stillIn}; remove them with: kimg logout --authfile ${stillIn} ${target.key}`,
      );
    }
    output.result({ registry: target.key, removed, authfile: file, ...(stillIn && { stillIn }) }, () =>
      removed
        ? `Removed login credentials for ${target.key} from ${file}`
        : `Not logged in to ${target.key}: nothing to remove in ${file}`,
    );
  },
};
