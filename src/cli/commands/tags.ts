import type { CommandModule } from 'yargs';
import { createContext } from '../context';
import type { GlobalOptions } from '../global-options';
import { parseRepositoryArg } from '../registry-arg';
import { withRegistryClient } from '../registry-client';

interface TagsArgs extends GlobalOptions {
  repository: string;
}

export const tagsCommand: CommandModule<GlobalOptions, TagsArgs> = {
  builder: (argv) =>
    argv.positional('repository', {
      type: 'string',
      demandOption: true,
      describe: 'docker://REGISTRY/REPOSITORY',
    }),
  handler: async (argv) => {
    const context = createContext(argv);
    const ref = parseRepositoryArg(argv.repository);
    const tags = await withRegistryClient(context, (client) =>
      client.repository(ref.domain, ref.path).listTags(),
    );
    context.output.result(tags, () => tags.join('\n'));
  },
};
