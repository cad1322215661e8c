import type { Credential, RegistryClient } from '../registry';
import type { CommandContext } from './context';
import { registryClientOptions } from './context';

/**
 * Runs `work` with the run's registry client (context.ts makes it from --authfile, --cert-dir and --tls-verify
 * on first use) and closes it after, so keep-alive sockets do not hold the process open.
 */
export async function withRegistryClient<T>(
  context: CommandContext,
  work: (client: RegistryClient) => Promise<T>,
): Promise<T> {
  const client = await context.open.registryClient?.();
  if (!client) throw new Error('the command context has no registry client');
  try {
    return await work(client);
  } finally {
    await context.close();
  }
}

/**
 * `kimg login`: the same TLS and scheme policy as every other command, but only the credentials being checked
 * — a login saved earlier must not make a wrong password look right. Closed by the caller.
 */
export async function createLoginClient(
  context: CommandContext,
  credentials: Credential,
): Promise<RegistryClient> {
  const { createRegistryClient } = await import('../transport/registry');
  return createRegistryClient(context.registryFlags, {
    ...registryClientOptions(context.debug),
    credentials: async () => credentials,
  });
}
