import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { KimgError } from '../../errors';
import { DiscoveryEnv } from './discovery-limits';

async function executable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/**
 * The Helm to render charts with: the `helm` option (`--helm PATH`), else `KIMG_HELM`, else `helm` on PATH;
 * undefined when there is none (discovery then reads values files, and warns). A path given explicitly that
 * is not executable is an error rather than a silent fallback: the user asked for that Helm.
 */
export async function findHelm(
  option: string | false | undefined,
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  if (option === false) return undefined;
  const explicit = option ?? (env[DiscoveryEnv.helm] || undefined);
  if (explicit !== undefined) {
    if (await executable(explicit)) return explicit;
    const from = option !== undefined ? '--helm' : DiscoveryEnv.helm;
    throw new KimgError(
      'INVALID_ARGUMENT',
      `Helm at ${explicit} (from ${from}) is not an executable file`,
      `give the path of a helm binary, or unset ${from} to use helm from PATH`,
    );
  }
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'helm');
    if (await executable(candidate)) return candidate;
  }
  return undefined;
}
