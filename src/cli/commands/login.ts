import type { CommandModule } from 'yargs';
import { KimgError } from '../../errors';
import { isRegistryError } from '../../registry';
import { createCredentialStore } from '../../registry/credentials';
import { createContext } from '../context';
import type { GlobalOptions } from '../global-options';
import { loginCredentials, type LoginFlags } from '../login-credentials';
import { parseRegistryArg, type RegistryArg } from '../registry-arg';
import { createLoginClient } from '../registry-client';

interface LoginArgs extends GlobalOptions, LoginFlags {
  registry: string;
}

export const loginCommand: CommandModule<GlobalOptions, LoginArgs> = {
  builder: (argv) =>
    argv
      .positional('registry', {
        type: 'string',
        demandOption: true,
        describe: 'HOST[:PORT], or HOST/NAMESPACE for a login limited to it',
      })
      .option('username', { alias: 'u', type: 'string', describe: 'user name' })
      .option('password', {
        alias: 'p',
        type: 'string',
        describe: 'password (visible in the process list: prefer --password-stdin)',
      })
      .option('password-stdin', { type: 'boolean', describe: 'read the password from stdin' }),
  handler: async (argv) => {
    const context = createContext(argv);
    const { output } = context;
    const target = parseRegistryArg(argv.registry);
    const credentials = await loginCredentials(argv, output);
    const client = await createLoginClient(context, credentials);
    try {
      await client.checkLogin(target.host);
    } catch (err) {
      throw refused(err, target, credentials.username);
    } finally {
      await client.close();
    }
    const savedIn = await createCredentialStore({ authfile: argv.authfile }).store(target.key, credentials);
    output.result(
      { registry: target.key, username: credentials.username, savedIn },
      () => `Login Succeeded (credentials for ${target.key} saved in ${savedIn})`,
    );
  },
};

/** A refused password reads as one, not as a failed GET; anything else (TLS, network) passes through as is. */
function refused(err: unknown, target: RegistryArg, username: string): unknown {
  if (!isRegistryError(err) || (err.code !== 'UNAUTHORIZED' && err.code !== 'DENIED')) return err;
  return new KimgError(
    'UNAUTHORIZED',
    `login to ${target.host} as ${username} failed: the registry refused the username or password (${err.message})`,
    'check the username and password and try again; nothing was saved',
    { cause: err },
  );
}
