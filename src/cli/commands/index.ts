import type { CommandModule } from 'yargs';
import type { GlobalOptions } from '../global-options';
import { copyCommand } from './copy';
import { imagesCommand } from './images';
import { inspectCommand } from './inspect';
import { loadCommand } from './load';
import { pruneCommand } from './prune';
import { pullCommand } from './pull';
import { pushCommand } from './push';
import { rmiCommand } from './rmi';
import { saveCommand } from './save';
import { tagCommand } from './tag';

/** Every command of the CLI contract this build has, one module each. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<GlobalOptions, any>[] = [
  imagesCommand,
  inspectCommand,
  tagCommand,
  rmiCommand,
  pruneCommand,
  saveCommand,
  loadCommand,
  pullCommand,
  pushCommand,
  copyCommand,
];
