import type { Argv, CommandModule } from 'yargs';
import type { GlobalOptions } from '../global-options';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCommand = CommandModule<GlobalOptions, any>;

const loaders: (() => AnyCommand)[] = [];

/** Loads every command's module now: what the start-up snapshot holds (cli/snapshot-main). */
export function loadEveryCommand(): void {
  for (const load of loaders) load();
}

/**
 * Every command of the CLI contract, by name and description. Each module (builder + handler) is loaded only
 * when its command runs or shows its help (changesets-style lazy commands), so `kimg images` does not pay for
 * undici, dockerode and the registry client at start-up.
 */
function lazy(command: string, describe: string, load: () => AnyCommand): AnyCommand {
  loaders.push(load);
  return {
    command,
    describe,
    builder: (argv: Argv<GlobalOptions>) => {
      const { builder } = load();
      // Our command modules all build synchronously (yargs' builder may also return a promise; none of ours do).
      return (typeof builder === 'function' ? builder(argv) : argv) as Argv<GlobalOptions>;
    },
    handler: (argv) => load().handler(argv),
  };
}

/* eslint-disable @typescript-eslint/no-require-imports -- lazy and synchronous: yargs builders are sync */
export const commands: AnyCommand[] = [
  lazy(
    'build [context]',
    'build a cluster image from a Kubefile into the local store (reproducible, cached)',
    () => require('./build').buildCommand,
  ),
  lazy('images', 'list the images in the local store', () => require('./images').imagesCommand),
  lazy(
    'inspect <image>',
    "show an image's manifest, config, platforms and sizes (any transport, nothing is pulled)",
    () => require('./inspect').inspectCommand,
  ),
  lazy(
    'tag <source> <targets..>',
    'give an image of the local store more names',
    () => require('./tag').tagCommand,
  ),
  lazy(
    'rmi <images..>',
    'remove images (names) from the local store; `kimg prune` frees their blobs',
    () => require('./rmi').rmiCommand,
  ),
  lazy(
    'prune',
    'delete blobs no image of the local store uses, and leftovers of interrupted writes',
    () => require('./prune').pruneCommand,
  ),
  lazy(
    'save <images..>',
    'write images of the local store into one oci-archive or docker-archive file',
    () => require('./save').saveCommand,
  ),
  lazy(
    'load',
    'load every image of an oci-archive or docker-archive (docker save output) into the local store',
    () => require('./load').loadCommand,
  ),
  lazy(
    'pull <image>',
    'copy an image into the local store (a bare name means a registry, as docker pull); default: the host platform',
    () => require('./pull').pullCommand,
  ),
  lazy(
    'push <image> [destination]',
    'copy an image of the local store to a registry (default: the registry its name says) or any place',
    () => require('./push').pushCommand,
  ),
  lazy(
    'copy <source> <destination>',
    'copy an image between any two places (skopeo transport syntax), byte for byte',
    () => require('./copy').copyCommand,
  ),
  lazy(
    'sync [source] [destination]',
    'mirror images, repositories or registries (or a skopeo sync file, -f) to a registry or directory',
    () => require('./sync').syncCommand,
  ),
  lazy(
    'login <registry>',
    'check a username and password against a registry, then save them (0600 auth file)',
    () => require('./login').loginCommand,
  ),
  lazy('logout <registry>', 'remove the saved login for a registry', () => require('./logout').logoutCommand),
  lazy(
    'tags <repository>',
    'list the tags of a registry repository (every page)',
    () => require('./tags').tagsCommand,
  ),
  lazy(
    'delete <image>',
    'delete an image manifest from a registry (by tag: the manifest it points to, with all its tags)',
    () => require('./delete').deleteCommand,
  ),
  lazy(
    'registry',
    'serve a registry storage or the registry/ of a cluster image, read-only',
    () => require('./registry').registryCommand,
  ),
  lazy(
    'install <images..>',
    'install cluster images on this host: unpack, serve the embedded registry, run hooks in sealos order',
    () => require('./install').installCommand,
  ),
  lazy(
    'uninstall',
    "run a cluster's clean hooks in reverse, stop its registry, remove what install unpacked",
    () => require('./uninstall').uninstallCommand,
  ),
  lazy(
    'ps',
    'list the clusters installed on this host: images, steps, registry',
    () => require('./ps').psCommand,
  ),
];
/* eslint-enable @typescript-eslint/no-require-imports */
