import type { CommandModule } from 'yargs';
import { KimgError } from '../../errors';
import { formatReference, parseImageLocation, repositoryName, type ImageReference } from '../../reference';
import { isRegistryError, RegistryError, type Repository } from '../../registry';
import { createContext } from '../context';
import type { GlobalOptions } from '../global-options';
import { withRegistryClient } from '../registry-client';

interface DeleteArgs extends GlobalOptions {
  image: string;
}

export const deleteCommand: CommandModule<GlobalOptions, DeleteArgs> = {
  builder: (argv) =>
    argv.positional('image', {
      type: 'string',
      demandOption: true,
      describe: 'docker://REGISTRY/REPOSITORY[:TAG|@DIGEST]',
    }),
  handler: async (argv) => {
    const context = createContext(argv);
    const location = parseImageLocation(argv.image);
    if (location.transport !== 'docker') {
      throw new KimgError(
        'USAGE',
        `kimg delete removes images from registries, and "${argv.image}" is not one`,
        'write docker://REGISTRY/REPOSITORY:TAG; kimg rmi removes images from the local store',
      );
    }
    const ref = location.reference;
    const digest = await withRegistryClient(context, async (client) => {
      const repo = client.repository(ref.domain, ref.path);
      const target = ref.digest ?? (await resolveTag(repo, ref));
      await repo.deleteManifest(target).catch((err: unknown) => {
        throw explainUnsupported(err, ref.domain);
      });
      return target;
    });
    const deleted = `${repositoryName(ref)}@${digest}`;
    const tag = ref.digest === undefined ? ref.tag : undefined;
    context.output.result({ deleted, digest, ...(tag !== undefined && { tag }) }, () =>
      tag === undefined
        ? `Deleted ${deleted}`
        : `Deleted ${deleted} (was ${formatReference(ref)}; every tag of this manifest is gone with it)`,
    );
  },
};

/**
 * distribution deletes manifests by digest only (spec "end-9"; 2.8 answers a DELETE by tag with UNSUPPORTED),
 * so a tag is resolved first, as skopeo delete does.
 */
async function resolveTag(repo: Repository, ref: ImageReference): Promise<string> {
  const tag = ref.tag ?? 'latest';
  const descriptor = await repo.headManifest(tag);
  if (!descriptor) {
    throw new KimgError(
      'MANIFEST_UNKNOWN',
      `nothing to delete: ${formatReference(ref)} does not exist`,
      `check the tag; "kimg tags docker://${repositoryName(ref)}" lists the tags`,
    );
  }
  return descriptor.digest;
}

/** A registry with deletes switched off says UNSUPPORTED (405); say which switch turns them on. */
function explainUnsupported(err: unknown, host: string): unknown {
  if (!isRegistryError(err) || err.code !== 'UNSUPPORTED') return err;
  return new RegistryError(
    err.code,
    err.message,
    `${host} does not allow deletes; its operator can enable them (CNCF distribution: storage.delete.enabled: true)`,
    err.method,
    err.url,
    err.status,
    err.errors,
  );
}
